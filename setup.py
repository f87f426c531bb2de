"""OMD-TF: control-oriented model learning (Optimal Model Design) for TF-Agents.

Exact versions of the whole stack live in ``constraints.txt`` (a lock made by
``make lock``); install with ``pip install -c constraints.txt -e .[test]``.
"""

import setuptools

setuptools.setup(
    name="omd-tf",
    version="0.1.0",
    description=(
        "Optimal Model Design (Nikishin et al.): model learning by implicit "
        "differentiation, as TensorFlow / TF-Agents agents."
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.9,<3.12",
    packages=setuptools.find_packages(
        include=["omd_tf", "omd_tf.*", "agents", "agents.*"]
    ),
    install_requires=[
        "tensorflow==2.15.1",
        "tensorflow-probability==0.23.0",
        "tf-agents==0.19.0",
        "gymnasium[mujoco]==1.3.0",
        "mujoco==4.0.0",
        "numpy>=1.23,<2",
        "absl-py",
        "matplotlib",
        # bin/sweep.py: the paper's figures as Ray Tune trials.
        "ray[tune]",
        # Ray Tune imports pyarrow; pyarrow 26 needs NumPy 2 (TensorFlow 2.15: < 2)
        # and says so only at import, not in its metadata.
        "pyarrow<26",
    ],
    extras_require={
        "test": ["pytest", "pytest-xdist"],
        # Same binaries, train steps placed on the GPU by TensorFlow.
        "gpu": ["tensorflow[and-cuda]==2.15.1"],
    },
)
