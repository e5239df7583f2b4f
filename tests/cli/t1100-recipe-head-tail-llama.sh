# recipe: head and tail on the Llama-3.1-8B config raise exactly the blocks the paper's
# budgets imply: 8 blocks (25% of parameters) at 5 bits, 4 blocks at 4.5 bits.
. tests/cli/lib.sh
blocks() { json_get "$1" "' '.join(sorted({k.split('.')[2] for k,v in j['layers'].items() if v['weight']=='MXFP8'}, key=int))"; }
for case in "head 5 24 25 26 27 28 29 30 31" "tail 5 0 1 2 3 4 5 6 7" "head 4.5 28 29 30 31" "tail 4.5 0 1 2 3"; do
	set -- $case
	s=$1 b=$2
	shift 2
	$BB recipe --model $LLAMA8B --strategy $s --options MXFP4,MXFP8 --avg-bits $b -o "$TMP/r.json" 2>/dev/null || fail "$s $b"
	[ "$(blocks "$TMP/r.json")" = "$*" ] || fail "$s at $b raised blocks $(blocks "$TMP/r.json")"
	[ "$(json_get "$TMP/r.json" "j['achieved_avg_bits']")" = "$b" ] || [ "$(json_get "$TMP/r.json" "j['achieved_avg_bits']")" = "$b.0" ] || fail "achieved bits"
	# every MXFP8 layer quantizes its activations with MXFP8 too
	[ "$(json_get "$TMP/r.json" "all(v['act']==v['weight'] for v in j['layers'].values())")" = True ] || fail "act formats"
done
$BB recipe --model $LLAMA8B --strategy pure --options MXFP8,MXFP4 --avg-bits 4 -o "$TMP/p.json" 2>/dev/null || fail pure
[ "$(json_get "$TMP/p.json" "set(v['weight'] for v in j['layers'].values())")" = "{'MXFP4'}" ] || fail "pure is not all MXFP4"
# scale bits counted: pure MXFP4 costs 4.25 bits
$BB recipe --model $LLAMA8B --strategy pure --options MXFP4,MXFP8 --avg-bits 4.25 --count-scale-bits -o "$TMP/s.json" 2>/dev/null || fail "scale bits"
[ "$(json_get "$TMP/s.json" "j['achieved_avg_bits']")" = "4.25" ] || fail "4.25 with scale bits"
# AutoRound's layer_config export
$BB recipe --model $LLAMA8B --strategy head --options MXFP4,MXFP8 --avg-bits 5 --export autoround -o "$TMP/ar.json" 2>/dev/null || fail export
[ "$(json_get "$TMP/ar.json" "j['model.layers.31.mlp.down_proj']['bits'], j['model.layers.0.self_attn.q_proj']['data_type'], j['model.layers.0.self_attn.q_proj']['act_bits']")" = "8 mx_fp 4" ] || fail "layer_config content"
