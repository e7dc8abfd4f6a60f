"""The mechanism of mushin's device kernels, not the kernels themselves.

``cuda`` compiles and caches CuPy kernels and says when an array can take one. Each kernel's
body lives beside the primitive (or optimizer) it serves, registered as that primitive's CUDA
rule (``mushin._graph.Primitive``), so an operation and its GPU code are read together.
"""
