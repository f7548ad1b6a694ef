"""JSON schema of the trajectory solution, shipped as package data: ``solution.schema.json`` (JSON Schema
draft 2020-12) describes ``stationd.solution/1``; :func:`trajectory.solution_schema` loads it."""
