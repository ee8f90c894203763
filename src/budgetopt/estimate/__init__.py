"""Bayesian estimates per cell: conversion rate (pooled), visits per euro, basket, saturation."""

from budgetopt.estimate.history import History, build_history
from budgetopt.estimate.posterior import Estimates, fit
from budgetopt.estimate.saturation import fit_saturation

__all__ = ["Estimates", "History", "build_history", "fit", "fit_saturation"]
