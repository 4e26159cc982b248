"""Tierwise: customer grading (客户分级) and tiered operations (分层运营) for B2B food distributors."""

__version__ = "0.1.0"
