"""The comparison server: a plain single-file FastAPI + PyTorch digit server.

Written the way the reference systems and the tutorials they follow write it
(model loaded at import, an `async def` endpoint doing PIL + torch inline, no
history): it is what `http_load.py` measures our service against, so it is
deliberately not optimised.

    python benchmarks/reference_server.py [PORT]      # default 8001
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import torch
import uvicorn
from fastapi import FastAPI, File, UploadFile
from PIL import Image

from digitrec.models import create_model

WEIGHTS = Path(__file__).resolve().parent.parent / "src" / "digitrec" / "weights" / "best.pt"

payload = torch.load(WEIGHTS, map_location="cpu", weights_only=True)
model = create_model(payload["model_name"])
model.load_state_dict(payload["model_state"])
model.eval()
MEAN = payload["normalization"]["mean"]
STD = payload["normalization"]["std"]

app = FastAPI(title="reference digit server")


@app.post("/predict")
async def predict(file: UploadFile = File(...)) -> dict:
    contents = await file.read()
    image = Image.open(io.BytesIO(contents)).convert("L").resize((28, 28))
    pixels = np.array(image, dtype=np.float32)
    # MNIST is white on black; a dark-on-light upload is flipped to match.
    if pixels.mean() > 127:
        pixels = 255 - pixels
    x = torch.from_numpy(pixels / 255.0).reshape(1, 1, 28, 28)  # (N, C, H, W)
    x = (x - MEAN) / STD
    with torch.no_grad():
        logits = model(x)
    return {"predicted_digit": int(logits.argmax(dim=1).item())}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]) if len(sys.argv) > 1 else 8001)
