"""The service desk: tickets, SLA clocks, assignment, escalation, reminders, parts and surveys."""
