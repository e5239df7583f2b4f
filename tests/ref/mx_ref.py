"""mx_ref.py: MXFP4 / MXFP8 quantize-dequantize written from the format's definition
(../shared/docs/autoround-autoscheme.md 2.1 and 2.2), independently of core/formats.c, for
the tests (tests/cli/t1200-*.sh). numpy, float64 arithmetic: every step below is exact for
float32 inputs, so the result is the spec's value, not an approximation of it.

    qdq(w, "MXFP4") -> float32 array like w (2-D [out, in], blocks of 32 along in)
"""
import numpy as np

# ebits, mantissa bits stored (mbits - 2), emax, max_norm (spec 2.1)
FORMATS = {"MXFP4": (2, 1, 2, 6.0), "MXFP8": (4, 3, 8, 448.0)}


def qdq(w, fmt):
    ebits, mant, emax, max_norm = FORMATS[fmt]
    out, cols = w.shape
    block = 32 if cols >= 32 else cols
    assert cols % block == 0, "a partial block: such layers stay BF16 (spec 1.2)"
    x = w.astype(np.float64).reshape(-1, block)
    amax = np.abs(x).max(axis=1, keepdims=True)
    # 3. shared exponent: floor(log2 amax) - emax in [-127, 127]; amax 0 counts as log2 = 1
    lg = np.floor(np.log2(np.where(amax == 0, 2.0, amax)))
    e = np.clip(lg - emax, -127, 127)
    # 4. y = x / 2^e, saturated at max_norm
    y = np.clip(x / np.exp2(e), -max_norm, max_norm)
    # 5. p = floor(log2 |y|) (zeros: 0), clipped below at 2 - 2^(ebits-1); t rounded half
    #    to even at `mant` bits; q = sign(y) * round(t) / 2^mant * 2^p, clamped again
    a = np.abs(y)
    p = np.maximum(np.floor(np.log2(np.where(a == 0, 1.0, a))), 2 - 2 ** (ebits - 1))
    t = a / np.exp2(p) * 2 ** mant
    q = np.minimum(np.round(t) / 2 ** mant * np.exp2(p), max_norm)  # np.round: half to even
    # 6. the output keeps the sign, zeros included (torch's sign(y) * q of a tiny
    #    negative is -0)
    return (np.copysign(q, x) * np.exp2(e)).astype(np.float32).reshape(out, cols)
