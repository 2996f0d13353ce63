"""The GitHub forge: context detection (`context`), the REST client (`rest`), failure verdicts and error lines
(`failures`), token facts (`tokens`), comments and checks (`forge`), images (`assets`), pull requests (`pulls`)."""
