"""JSON schemas of what ``sync`` publishes (draft 2020-12), shipped as package data: ``index.schema.json``
describes a day's meteor index (``stationd.index/1``) and, as ``$defs/year``, the yearly roll-up."""
