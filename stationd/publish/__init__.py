"""Publishing: what the station puts in its outbox (meteors, live events, the daily index, the heartbeat)
and the views of it. Modules are imported by their users (``stationd.publish.index`` needs the stages, the
stages need ``stationd.publish.meteors``), so this face imports nothing itself."""
