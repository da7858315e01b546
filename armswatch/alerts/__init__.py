"""Alerts: analysts told when a crawl flags something new that matches their rules.

`config/alerts.yaml` (`armswatch.alerts.config`) holds the rules and channels;
crawls record newly flagged listings in the ledger (`armswatch.alerts.ledger`);
`armswatch.alerts.dispatch` matches and sends them by webhook or e-mail.
"""
