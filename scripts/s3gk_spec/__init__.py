"""An independent implementation of docs/protocol.md, one module per part: codec (sections 2-4),
policy (4.1, 5, 6), objects (7), vectors (9). Written from the spec and the vectors alone."""
