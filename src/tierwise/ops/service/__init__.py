"""Differentiated service by tier (R-OPS-1, issue 21 item 3): the ticket queue ordered by
service level, response-target breaches per tier, the warehouse's daily delivery-priority list
and a customer's service level as the ERP/WMS reads it. The service levels are the benefits
ledger's grants (``service_level``, ``delivery_priority``, ``expedited_logistics``)."""
