"""Schemathesis hooks for .ci/schemathesis: keep the fuzzer from cutting off its own branch.

The run authenticates with one admin's token. Revoking that token, disabling or demoting
that user, or deactivating or offboarding that user's person would turn every later
request into a 401 and hide the rest of the API from the run, so cases that aim those
operations at the caller's own ids are dropped. The ids come from the environment
(FUZZ_TOKEN_ID, FUZZ_USER_ID, FUZZ_PERSON_ID), set by the script.
"""

import os
import re

import schemathesis

OWN = {
    "token": os.environ.get("FUZZ_TOKEN_ID", ""),
    "user": os.environ.get("FUZZ_USER_ID", ""),
    "person": os.environ.get("FUZZ_PERSON_ID", ""),
}

# (method, path) of the operations that act on the caller when given the caller's id.
SELF_DESTRUCTIVE = [
    ("DELETE", re.compile(r"^/api/v1/tokens/\{id\}$"), "token"),
    ("PATCH", re.compile(r"^/api/v1/users/\{id\}$"), "user"),
    ("PATCH", re.compile(r"^/api/v1/people/\{id\}$"), "person"),
    ("POST", re.compile(r"^/api/v1/people/\{id\}/deactivate$"), "person"),
    ("POST", re.compile(r"^/api/v1/access/people/\{id\}/offboard$"), "person"),
]


def aims_at_the_caller(case):
    operation = case.operation
    for method, path, kind in SELF_DESTRUCTIVE:
        if operation.method.upper() == method and path.match(operation.path):
            return str((case.path_parameters or {}).get("id", "")) == OWN[kind]
    return False


@schemathesis.hook
def filter_case(context, case):
    return not aims_at_the_caller(case)


@schemathesis.hook
def before_call(context, case, **kwargs):
    # The stateful phase builds its cases from earlier answers (GET /tokens lists the
    # caller's own token) without `filter_case`: aim those at an id that names nothing.
    if aims_at_the_caller(case):
        case.path_parameters["id"] = 0


@schemathesis.hook
def filter_failure(context, failure, case, response):
    # A stateful step that followed a link from a null field (a person who is not a user has
    # `user_id: null`) calls `/api/v1/users/None`; the hub rightly answers 400, and no
    # client sends that. Every other failure stands.
    return not any(v is None or v == "None" for v in (case.path_parameters or {}).values())
