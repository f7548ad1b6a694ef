"""The pipeline's stages: each turns a minute's inputs into outputs plus a recorded result.

Every stage is a pure function of its inputs (rerunning it gives the same outputs, written atomically to
the same paths), so ``stationd reprocess DAY`` can run any of them again without duplicates.
"""

from stationd.stages.context import STAGE_ORDER, STAGE_VERSIONS, StageContext
from stationd.stages.runner import Outcome, StageRunner

__all__ = ["STAGE_ORDER", "STAGE_VERSIONS", "Outcome", "StageContext", "StageRunner"]
