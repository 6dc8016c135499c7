//! The mapper, combiner and reducer language: a small subset of Python. INTERFACE stub.
