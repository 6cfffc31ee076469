"""Administrative unit names: the type word ("Xã", "Thị xã", …) and the bare name after it."""

from content.text import normalize

# Longest first, so "thi xa" wins over "xa". Values give the usual casing: the converter's
# data writes "Thị Xã", official documents write "Thị xã".
_TYPES = {
    "thanh pho": "Thành phố",
    "thi tran": "Thị trấn",
    "dac khu": "Đặc khu",
    "phuong": "Phường",
    "huyen": "Huyện",
    "thi xa": "Thị xã",
    "quan": "Quận",
    "tinh": "Tỉnh",
    "xa": "Xã",
}
_TYPES_LONGEST_FIRST = sorted(_TYPES, key=len, reverse=True)


def split_unit_name(name: str) -> tuple[str, str]:
    """("Thị Xã Điện Bàn") -> ("Thị xã", "Điện Bàn"); ("", name) when there is no type word."""
    words = name.split()
    for type_key in _TYPES_LONGEST_FIRST:
        size = type_key.count(" ") + 1
        if len(words) > size and normalize(" ".join(words[:size])) == type_key:
            return _TYPES[type_key], " ".join(words[size:])
    return "", name.strip()


def tidy_unit_name(name: str) -> str:
    """The name with its type word in the usual casing: "Thị Trấn Nam Phước" -> "Thị trấn …"."""
    unit_type, bare = split_unit_name(name)
    return f"{unit_type} {bare}" if unit_type else bare


def bare_unit_name(name: str) -> str:
    return split_unit_name(name)[1]
