"""Case handling, pure core (案件办理): working-day calendar, SLA deadlines, state machine, metrics.

No I/O and no Django: plain frozen dataclasses in, plain frozen dataclasses out. The platform's
``web.cases`` app stores the data, takes the row locks and writes the audit log; it calls these
functions to decide what is allowed and when things are due.
"""
