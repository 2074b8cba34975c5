"""activelens: active learning you can see and steer inside Jupyter."""
__version__ = "0.1.0"
