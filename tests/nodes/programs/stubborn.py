"""The correct single-node log, but it keeps running after stdin closes: only a kill ends
it. Used to prove that the harness reaps its processes itself."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "nodes"))
import log_single

log_single.node.run()
time.sleep(120)
