"""edXML (QCVN 102:2016/BTTTT): the envelope agencies exchange, as a pure model, an XML builder and a hardened parser."""
