"""CWR 2.1 / 2.2 / 3.0 / 3.1: layouts as data, a lenient streaming reader, a strict writer."""
