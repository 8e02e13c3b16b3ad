"""The OpenAPI 3.1 document the service serves at ``/v1/openapi.json``."""

from __future__ import annotations

from typing import Any

_ERROR = {
    "description": "an error with a stable code",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
_SIGNED: list[dict[str, list[str]]] = [{"GatewaySignature": []}]


def _get(
    summary: str,
    ok: str,
    *,
    signed: bool = True,
    params: list[Any] | None = None,
    also: tuple[str, ...] = (),
) -> dict[str, Any]:
    errors = dict.fromkeys(("401", "404", *also, "503"), _ERROR)
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {"200": {"description": ok}} | errors,
    }
    if signed:
        operation["security"] = _SIGNED
    if params:
        operation["parameters"] = params
    return {"get": operation}


def _query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": "string"}, "description": description}


_ID = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Society Exchange Gateway",
        "version": "1.0.0",
        "description": "Submit CWR / works XML files, follow their validation, ACKs, delivery "
        "and the registration state of each work. Requests are signed (docs/authentication.md).",
    },
    "paths": {
        "/v1/health": _get(
            "liveness and the outbox backlog",
            "ok: `status`, `node`, `pending_deliveries` (pending or in flight) and "
            "`dead_deliveries` (given up on; `gateway deliveries retry` requeues them)",
            signed=False,
        ),
        "/v1/openapi.json": _get("this document", "the OpenAPI document", signed=False),
        "/v1/submissions": {
            "post": {
                "summary": "submit a file (the body is the file's bytes, streamed)",
                "security": _SIGNED,
                "parameters": [
                    {
                        "name": "file_name",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "maxLength": 200},
                        "description": "the file's name (CWR naming gives its receiver)",
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/octet-stream": {"schema": {"type": "string"}}},
                },
                "responses": {
                    "202": {"description": "stored; processing has started"},
                    "200": {"description": "the same file again: the original receipt"},
                    "400": _ERROR,
                    "401": _ERROR,
                    "408": _ERROR,
                    "413": _ERROR,
                    "415": _ERROR,
                    "503": _ERROR,
                },
            },
            **_get("the caller's submissions", "the list"),
        },
        "/v1/submissions/{id}": _get(
            "one submission, with its deliveries", "the submission", params=_ID
        ),
        "/v1/submissions/{id}/report": _get(
            "its validation report (docs/reports.md)", "JSON report", params=_ID, also=("409",)
        ),
        "/v1/submissions/{id}/ack": _get(
            "its acknowledgement file (CWR ACK or ack XML)", "the file", params=_ID, also=("409",)
        ),
        "/v1/reconciliations": {
            "post": {
                "summary": "reconcile a distribution statement (distribution XML or CSV, the "
                "body) against this node's registrations (docs/reconciliation.md)",
                "security": _SIGNED,
                "parameters": [
                    _query("file_name", "the statement's name, for the report"),
                    _query("format", "json (default), csv, html or claims"),
                    _query("home", "home currency (default: the node's)"),
                    _query("remittance_amount", "the money received, e.g. 1234.56"),
                    _query("remittance_currency", "its ISO 4217 currency"),
                    _query("remittance_date", "its value date, YYYY-MM-DD"),
                    _query("bank_charges", "what the banks kept, in the remittance currency"),
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/octet-stream": {"schema": {"type": "string"}}},
                },
                "responses": {
                    "200": {"description": "the reconciliation in the format asked for"},
                    "400": _ERROR,
                    "401": _ERROR,
                    "408": _ERROR,
                    "413": _ERROR,
                    "415": _ERROR,
                    "422": _ERROR,
                    "503": _ERROR,
                },
            },
        },
        "/v1/registrations": _get(
            "the registration state of the caller's works at each society",
            "the registrations",
            params=[
                {
                    "name": "submitter_work_number",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string"},
                }
            ],
        ),
    },
    "components": {
        "securitySchemes": {
            "GatewaySignature": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Gateway-Signature",
                "description": "Ed25519 signature with X-Gateway-Key, -Timestamp, -Nonce and "
                "-Content-SHA256 (docs/authentication.md)",
            }
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    }
                },
            }
        },
    },
}
