"""Validates the seal of a PDF with pyHanko, trusting one certificate, and prints what
pyHanko found as JSON: the tests read it (tests/api/seal.rs, tests/render.rs). Besides
pyHanko's PDF signature validation, the signature goes through its AdES basic validation
(ETSI EN 319 102-1), which checks what PAdES B-B requires of the CMS (the signing
certificate attribute among them); no revocation data is asked of a test certificate.

    python3 tests/seal/validate.py TRUSTED_CERT.der FILE.pdf

A file pyHanko cannot read, or whose signature it cannot validate, is reported as
{"error": "..."} rather than by a failing exit: the test decides what that means.
"""

import asyncio
import json
import sys

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import ades, validate_pdf_signature
from pyhanko.sign.validation.policy_decl import (
    CertValidationPolicySpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import NO_REVOCATION, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager


def ades_status(signature, trusted) -> str:
    """The AdES basic validation's indication, e.g. `AdESPassed.OK`."""
    spec = SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=[trusted]),
            revinfo_policy=CertRevTrustPolicy(NO_REVOCATION),
        ),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY
        ),
    )
    digest = signature.compute_digest()
    result = asyncio.run(
        ades.ades_basic_validation(signature.signed_data, spec, raw_digest=digest)
    )
    return str(result.ades_subindic)


def main(cert_path: str, pdf_path: str) -> dict:
    trusted = load_cert_from_pemder(cert_path)
    context = ValidationContext(trust_roots=[trusted])
    with open(pdf_path, "rb") as f:
        try:
            signatures = PdfFileReader(f, strict=False).embedded_signatures
            if not signatures:
                return {"signatures": 0}
            signature = signatures[-1]
            status = validate_pdf_signature(signature, context)
            ades_indication = ades_status(signature, trusted)
        except Exception as e:  # noqa: BLE001 - whatever fails is the finding
            return {"error": f"{type(e).__name__}: {e}"}
        dictionary = signature.sig_object
        return {
            "signatures": len(signatures),
            "intact": status.intact,
            "valid": status.valid,
            "trusted": status.trusted,
            "bottom_line": status.bottom_line,
            "coverage": status.coverage.name,
            "modification_level": status.modification_level.name
            if status.modification_level is not None
            else None,
            "signer": status.signing_cert.subject.human_friendly,
            "subfilter": str(dictionary.get("/SubFilter")),
            "md_algorithm": status.md_algorithm,
            "signing_time": str(dictionary.get("/M")),
            "ades": ades_indication,
            "key_usage_ok": "non_repudiation" in (status.key_usage or set())
            or "digital_signature" in (status.key_usage or set()),
        }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
