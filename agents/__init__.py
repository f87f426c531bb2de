"""TF-Agents agents whose dynamics / reward model is trained by OMD, MLE or VEP."""

from agents.omd_soft_q_agent import OmdSoftQAgent
from agents.omd_soft_q_agent import OmdSoftQLossInfo
from agents.soft_q_policy import SoftQPolicy
