# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# Report across sampling waves. Every number is read from `reports/waves/tables/`, which the
# cross-wave step wrote from each wave's cleaned data and tables, and every sentence is written
# by `servqual.waves_report` from them in the study's language, with the headings, labels and
# table formatting of a wave's report (`servqual.report_context`); this notebook computes nothing.

# %% tags=["parameters"]
tables = "reports/waves/tables"
figures = "reports/waves/figures"
title = "Service-quality study"
language = "en"
instrument: dict = {}
segments: list = []
outcomes: list = []

# %%
from IPython.display import HTML, display

from servqual import waves_report as section
from servqual.report_page import page_header

context = section.waves_context(
    tables, figures, language=language, instrument=instrument, segments=segments, outcomes=outcomes,
)
display(page_header(title, context.t("report.waves_title")), raw=True)

# %%
display(HTML(section.summary_section(context)))

# %%
for body_section in section.BODY:
    display(HTML(body_section(context)))
