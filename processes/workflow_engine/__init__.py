"""The SpiffWorkflow wrapper behind `processes.engine`: the only package that imports SpiffWorkflow.

`views` holds the project's own result types, `scripting` the restricted expression engine, the
service dispatch and the injected-clock timer, `state` the JSON state, `specs` the loading of the
diagrams, `variables` the checks on process data, and `runtime` the operations on an instance.
"""
