"""One module per scenario: ``SCENARIO`` (the scenario id) and ``generate(seed) -> DataFrame``."""
