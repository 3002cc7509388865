"""Sample uploads with known ground truth, and a loader that puts them into the uploads bucket."""

from .generator import BAD_TYPES, SampleDocument, generate_documents
from .upload import UploadedSample, read_truth, upload_documents, write_truth

__all__ = [
    "BAD_TYPES",
    "SampleDocument",
    "UploadedSample",
    "generate_documents",
    "read_truth",
    "upload_documents",
    "write_truth",
]
