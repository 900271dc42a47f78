"""Local stand-in for the parts of AWS the collection drives (see DESIGN §4).

moto server plus our extensions (FSx data repository associations and tasks, SSM Run Command that really runs
scripts), behind a control plane that injects faults and records an audit log of every API call.
Nothing here is shipped in the collection build (galaxy.yml build_ignore).
"""
