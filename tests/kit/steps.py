"""Step kinds for tests, registered on import: ``test_barrier`` makes a manifest run in two passes."""

from babelforge.registry import StepSettings, register_step
from babelforge.steps import RecordStep


class Passthrough(RecordStep):
    """Keeps every record, noting in its lineage that it saw them all (after the barrier)."""

    name = "barrier_passthrough"

    def process(self, doc):
        self.note(doc, saw="all")
        return doc


@register_step("test_barrier")
class BarrierSettings(StepSettings):
    barrier = True

    def build(self, ctx):
        return Passthrough()
