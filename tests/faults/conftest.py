import pytest
from servers import png_bytes


@pytest.fixture
def digit_png(mnist) -> bytes:
    """MNIST test image 0 (a 7) as PNG bytes."""
    return png_bytes(mnist.test.images[0])
