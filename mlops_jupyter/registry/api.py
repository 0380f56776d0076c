"""The registry's public functions in one place (``import mlops_jupyter as mj`` exposes them,
and the REST handlers and CLI call them).

Every action takes ``actor=``: None means the configured user (``MLOPS_JUPYTER_USER``, else the
OS login); the REST layer passes the user Jupyter authenticated. Lists and details are
dataclasses with ``to_dict()``.
"""

from __future__ import annotations

from mlops_jupyter.registry.aliases import (
    AliasChange,
    alias_history,
    check_gates,
    promote,
    rollback,
)
from mlops_jupyter.registry.approvals import approve, list_approvals, reject, request_approval
from mlops_jupyter.registry.audit import AuditEvent, AuditReport, audit_log, verify_audit
from mlops_jupyter.registry.errors import (
    AliasConflictError,
    InvalidNameError,
    InvalidStateError,
    ModelIntegrityError,
    ModelNotFoundError,
    PromotionRefusedError,
    RefusedError,
    RegistryError,
    SelfApprovalError,
    UntrustedModelError,
)
from mlops_jupyter.registry.export import export_release
from mlops_jupyter.registry.gates import GateReport, GateResult
from mlops_jupyter.registry.loaded import LoadedModel, load_model
from mlops_jupyter.registry.models import (
    RegisteredModel,
    get_model,
    get_policy,
    list_models,
    set_policy,
)
from mlops_jupyter.registry.policy import Gate, Policy
from mlops_jupyter.registry.registration import register_model
from mlops_jupyter.registry.serialization import SKLEARN_TRUSTED_TYPES, UnsafeFormatWarning
from mlops_jupyter.registry.signature import Signature, SignatureError
from mlops_jupyter.registry.versions import (
    ModelVersion,
    archive,
    get_version,
    list_versions,
    set_reference_profile,
    update_card,
)

__all__ = [
    "SKLEARN_TRUSTED_TYPES",
    "AliasChange",
    "AliasConflictError",
    "AuditEvent",
    "AuditReport",
    "Gate",
    "GateReport",
    "GateResult",
    "InvalidNameError",
    "InvalidStateError",
    "LoadedModel",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "ModelVersion",
    "Policy",
    "PromotionRefusedError",
    "RefusedError",
    "RegisteredModel",
    "RegistryError",
    "SelfApprovalError",
    "Signature",
    "SignatureError",
    "UnsafeFormatWarning",
    "UntrustedModelError",
    "alias_history",
    "approve",
    "archive",
    "audit_log",
    "check_gates",
    "export_release",
    "get_model",
    "get_policy",
    "get_version",
    "list_approvals",
    "list_models",
    "list_versions",
    "load_model",
    "promote",
    "register_model",
    "reject",
    "request_approval",
    "rollback",
    "set_policy",
    "set_reference_profile",
    "update_card",
    "verify_audit",
]
