"""adapter_common.py: what every part of the Python adapter (endpoint/lm_eval_endpoint.py)
shares: the error that carries an HTTP status, strict JSON for results, and the torch device
a job runs on.
Never imports torch, transformers or lm-eval at import time (the protocol needs only the
standard library); never imports another module of the adapter.
"""
import math


class HttpError(Exception):
    """A request refused or a resource missing: the HTTP status the server answers with (and,
    for 405, the methods it allows). Raised by the parsers and the queue, answered by the
    server; raised inside a job it fails the job like any other error."""

    def __init__(self, status, message, allow=None):
        super().__init__(message)
        self.status, self.allow = status, allow


def json_safe(o):
    """NaN/inf become null (bitbudget's strict JSON reader refuses bare NaN)."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, dict):
        return {str(k): json_safe(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [json_safe(v) for v in o]
    return o


def torch_device(settings):
    """--device, else cuda where torch has it, else the CPU (HFLM's own default, cuda,
    fails on a machine without it)."""
    import torch
    return settings.device or ("cuda" if torch.cuda.is_available() else "cpu")
