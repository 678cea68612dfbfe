"""babelforge: forge training data for low-resource languages.

Importing the package is cheap: models, faiss and datatrove load only when a step runs.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
