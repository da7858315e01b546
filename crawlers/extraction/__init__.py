"""Field extraction for listing pages and forum posts.

`extract_fields` turns a page (or one post) into title, text, price, currency,
seller, date, images and attachments, using a source's configured selectors
first and falling back to structured data and readable content, so that a
source without any selectors still yields title, text and price.
"""

from .fields import ExtractedFields, extract_fields
from .price import parse_price
from .query import select

__all__ = ["ExtractedFields", "extract_fields", "parse_price", "select"]
