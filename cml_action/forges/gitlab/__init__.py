"""The GitLab forge: context detection (`context`), the python-gitlab client and failure verdicts (`client`),
notes (`notes`, `forge`), commit statuses and uploads (`forge`), merge requests (`merge_requests`)."""
