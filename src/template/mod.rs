//! Cluster templates: load, validate, render, diff, export. Pure: no IO, no clock.
