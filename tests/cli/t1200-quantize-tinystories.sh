# quantize: a complete fake-quantized checkpoint.
#  - an all-BF16 recipe reproduces the safetensors file byte for byte;
#  - quantizing is idempotent: a quantized checkpoint quantized again is byte-identical;
#  - tensors outside the budget (norms, lm_head) are copied byte for byte;
#  - config.json carries the recipe; side files are copied;
#  - every MXFP4 and MXFP8 value equals an independent reference (tests/ref/mx_ref.py),
#    exact rounding ties included; a layer with a partial block stays BF16.
. tests/cli/lib.sh
$BB recipe --model "$TINY" --strategy head --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/head.json" 2>/dev/null || fail recipe
python3 -c "
import json; r=json.load(open('$TMP/head.json'))
for v in r['layers'].values(): v['weight']=v['act']='BF16'
json.dump(r, open('$TMP/bf16.json','w'))"
$BB quantize --model "$TINY" --recipe "$TMP/bf16.json" --out "$TMP/q-bf16" 2>/dev/null || fail "bf16 quantize"
cmp "$TINY/model.safetensors" "$TMP/q-bf16/model.safetensors" || fail "BF16 recipe changed the weights"
$BB quantize --model "$TINY" --recipe "$TMP/head.json" --out "$TMP/q1" --threads 2 2>/dev/null || fail "quantize"
$BB quantize --model "$TMP/q1" --recipe "$TMP/head.json" --out "$TMP/q2" --threads 1 2>/dev/null || fail "re-quantize"
cmp "$TMP/q1/model.safetensors" "$TMP/q2/model.safetensors" || fail "quantize is not idempotent"
cmp "$TINY/model.safetensors" "$TMP/q1/model.safetensors" > /dev/null && fail "nothing was quantized"
for f in tokenizer.json tokenizer_config.json generation_config.json special_tokens_map.json; do
	cmp "$TINY/$f" "$TMP/q1/$f" || fail "$f not copied"
done
[ "$(json_get "$TMP/q1/config.json" "j['quantization_config']['quant_method'], j['quantization_config']['layers']['model.layers.1.mlp.down_proj']['act'], j['hidden_size']")" = "bitbudget MXFP8 128" ] || fail "quantization_config"
# Byte-level check, independent of bitbudget's reader and quantizer: a copy of the model
# gets hand-made blocks with exact rounding ties (below), then every weight of every budget
# layer, every block of every row (the last included) in MXFP4 and in MXFP8, must equal
# tests/ref/mx_ref.py's value bit for bit; the header is unchanged; norms and lm_head are
# untouched. No layer of this model has a partial block (in_features 128 and 384).
mkdir "$TMP/ties" && cp "$TINY"/*.json "$TMP/ties/"
python3 - "$TINY/model.safetensors" "$TMP/ties/model.safetensors" <<'PY' || fail "tie model"
import struct, sys, json
b = bytearray(open(sys.argv[1], "rb").read()); n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
def put(name, row, block, values):  # 32 values into one block of one row (f32)
    t = h[name]; cols = t["shape"][1]
    at = 8 + n + t["data_offsets"][0] + 4 * (row * cols + 32 * block)
    b[at:at + 128] = struct.pack("<32f", *(values + [0.0] * (32 - len(values))))
# MXFP4: amax 4 makes 2^e = 1; each value after it is a midpoint of the E2M1 grid
put("model.layers.0.self_attn.q_proj.weight", 127, 3, [4, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5, -0.25, -0.75, -5])
# MXFP8: amax 464 makes 2^e = 1 and saturates; midpoints of E4M3 (a subnormal one, and
# 248, whose even neighbour 256 carries into the next binade)
put("model.layers.1.mlp.down_proj.weight", 0, 0, [464, 1.0625, 1.1875, 2 ** -10, 3 * 2 ** -10, 248, -1.0625])
open(sys.argv[2], "wb").write(b)
PY
$BB recipe --model "$TMP/ties" --strategy head --options MXFP4,MXFP8 --avg-bits 5 -o "$TMP/ties.json" 2>/dev/null || fail "ties recipe"
$BB quantize --model "$TMP/ties" --recipe "$TMP/ties.json" --out "$TMP/q-ties" --threads 2 2>/dev/null || fail "ties quantize"
python3 - "$TMP/ties/model.safetensors" "$TMP/q-ties/model.safetensors" "$TMP/ties.json" <<'PY' || fail "byte-level check"
import struct, sys, json
import numpy as np
sys.path.insert(0, "tests/ref")
from mx_ref import qdq
def load(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]
    return b[:8 + n], json.loads(b[8:8 + n]), b[8 + n:]
h0, j0, d0 = load(sys.argv[1]); h1, j1, d1 = load(sys.argv[2])
layers = json.load(open(sys.argv[3]))["layers"]
assert h0 == h1, "header changed"
def tensor(j, d, name):
    a, b = j[name]["data_offsets"]
    return np.frombuffer(d[a:b], dtype=np.float32).reshape(j[name]["shape"])
seen = set()
for name in j0:
    if name == "__metadata__": continue
    w0, w1 = tensor(j0, d0, name), tensor(j1, d1, name)
    fmt = layers.get(name[:-len(".weight")], {}).get("weight")
    if fmt is None:
        assert w0.tobytes() == w1.tobytes(), name + " changed"
        continue
    seen.add(fmt)
    want = qdq(w0, fmt)
    bad = np.flatnonzero(want.view(np.uint32) != w1.view(np.uint32))
    assert bad.size == 0, (name, fmt, bad[:5], w0.flat[bad[:5]], w1.flat[bad[:5]], want.flat[bad[:5]])
assert seen == {"MXFP4", "MXFP8"}, seen
# The ties, by hand, half to even code (docs/formats.md; spec 2.2 step 5, its examples in 2.2.7)
q4 = tensor(j1, d1, "model.layers.0.self_attn.q_proj.weight")[127, 96:107].tolist()
assert layers["model.layers.0.self_attn.q_proj"]["weight"] == "MXFP4"
assert q4 == [4, 0, 1, 1, 2, 2, 4, 4, -0.0, -1, -4], q4
assert str(q4[8]) == "-0.0", "a small negative keeps its sign"
q8 = tensor(j1, d1, "model.layers.1.mlp.down_proj.weight")[0, :7].tolist()
assert layers["model.layers.1.mlp.down_proj"]["weight"] == "MXFP8"
assert q8 == [448, 1, 1.25, 0, 2 ** -8, 256, -1], q8
PY
# stories260k's down_proj (in_features 172) has no whole blocks: the recipe keeps it BF16
# (which lifts the reachable floor to 6.9 bits, hence 8 here) and quantize copies it byte
# for byte, while the other layers change.
$BB recipe --model "$S260" --strategy head --options MXFP4,MXFP8 --avg-bits 8 -o "$TMP/s260.json" 2>/dev/null || fail "s260 recipe"
[ "$(json_get "$TMP/s260.json" "sorted({v['weight'] for k, v in j['layers'].items() if k.endswith('down_proj')})")" = "['BF16']" ] || fail "s260 down_proj is not BF16"
$BB quantize --model "$S260" --recipe "$TMP/s260.json" --out "$TMP/q-s260" 2>/dev/null || fail "s260 quantize"
python3 - "$S260/model.safetensors" "$TMP/q-s260/model.safetensors" <<'PY' || fail "s260 down_proj"
import struct, sys, json
def load(p):
    b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]
    return json.loads(b[8:8 + n]), b[8 + n:]
(j0, d0), (j1, d1) = load(sys.argv[1]), load(sys.argv[2])
def raw(j, d, k): a, b = j[k]["data_offsets"]; return d[a:b]
for k in j0:
    if k.endswith("down_proj.weight"):
        assert raw(j0, d0, k) == raw(j1, d1, k), k
    elif k.endswith("q_proj.weight"):
        assert raw(j0, d0, k) != raw(j1, d1, k), k
PY
