"""The framework floor: the same web stack as our service, doing no work.

FastAPI on uvicorn (httptools, uvloop), an `async def` endpoint that parses the
multipart form, reads field `file` and answers a fixed JSON body the size of
our service's answer. `http_budget.py` drives it to measure what HTTP, the
form and the response cost per request before any recognition.

    python benchmarks/bare_server.py PORT
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Request, Response

# About the size of a /api/predict answer: ten probabilities, top 3, the 28x28 image as a data URL.
ANSWER = (
    b'{"digit":7,"label":"7","confidence":0.9,"uncertain":false,"probabilities":[' + b"0.01," * 9
    + b'0.9],"top_k":[],"preprocessed":"data:image/png;base64,' + b"A" * 600 + b'","history_id":1,"saved":true}'
)

app = FastAPI(title="bare server")


@app.post("/api/predict")
async def predict(request: Request) -> Response:
    form = await request.form()
    await form["file"].read()  # type: ignore[union-attr]
    return Response(ANSWER, media_type="application/json")


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
