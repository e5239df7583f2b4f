#!/bin/sh
# t3020: endpoint/lm_eval_endpoint.py's protocol handling, without torch or lm-eval (its
# unittest injects stand-in modules): tests/endpoint/test_lm_eval_endpoint.py. Skips
# (passing) only when python3 itself is missing.
. tests/cli/lib.sh
if ! command -v python3 > /dev/null; then
	echo "SKIP: python3 is not installed; endpoint/lm_eval_endpoint.py is untested (pass by skip)"
	exit 0
fi
python3 tests/endpoint/test_lm_eval_endpoint.py 2>&1 || fail "tests/endpoint/test_lm_eval_endpoint.py"
