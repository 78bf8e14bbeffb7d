#!/usr/bin/python3
"""A Python port of OpenAI CLIP's SimpleTokenizer, for differential testing
of model/tokenizer (the real one needs `ftfy` and `regex`, absent here).

Exact parts: html.unescape, NFC, whitespace handling, str.lower() and the BPE
loop are Python's / CLIP's own code.  The `regex` pattern is rebuilt with `re`
and explicit \\p{L} / \\p{N} classes from unicodedata.  ftfy.fix_text is
reduced to the character fixes the C code implements (a shared assumption,
not an independent check).

  /usr/bin/python3 bench/clip_tokenizer_ref.py TOKENIZER_DIR N_RANDOM SEED BIN
generates N_RANDOM random texts, runs BIN (tokenizer_ids) on them and reports
the texts whose ids differ.
"""
import html
import json
import random
import re
import subprocess
import sys
import unicodedata


def bytes_to_unicode():
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
          + list(range(ord("®"), ord("ÿ") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def char_class(pred):
    out, start = [], None
    for cp in range(0x110000 + 1):
        ok = cp < 0x110000 and pred(chr(cp))
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            a, b = re.escape(chr(start)), re.escape(chr(cp - 1))
            out.append(a if start == cp - 1 else a + "-" + b)
            start = None
    return "".join(out)


LIGATURES = {ord(c): unicodedata.normalize("NFKC", c) for c in "ĲĳŉǄǅǆǇǈǉǊǋǌǱǲǳﬀﬁﬂﬃﬄﬅﬆ"}
WIDTH = {0x3000: " "}
WIDTH.update({i: unicodedata.normalize("NFKC", chr(i)) for i in range(0xFF01, 0xFFF0)
              if unicodedata.normalize("NFKC", chr(i)) != chr(i)})
CONTROL = set(list(range(0, 9)) + [0x0B] + list(range(0x0E, 0x20)) + [0x7F]
              + list(range(0x206A, 0x2070)) + [0xFEFF] + list(range(0xFFF9, 0xFFFD)))


def ftfy_subset(text):
    text = "".join(bytes([ord(c)]).decode("cp1252", "ignore") or c
                   if 0x80 <= ord(c) <= 0x9F else c for c in text)
    text = text.translate(LIGATURES).translate(WIDTH)
    text = re.sub("[\u02bc\u2018-\u201b]", "'", text)
    text = re.sub("[\u201c-\u201f]", '"', text)
    text = "".join(c for c in text if ord(c) not in CONTROL)
    return unicodedata.normalize("NFC", text)


class SimpleTokenizer:
    def __init__(self, folder):
        self.byte_encoder = bytes_to_unicode()
        merges = open(folder + "/merges.txt", encoding="utf-8").read().split("\n")
        merges = [tuple(m.split()) for m in merges[1:49152 - 256 - 2 + 1]]
        self.encoder = json.load(open(folder + "/vocab.json", encoding="utf-8"))
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}
        L = char_class(lambda c: unicodedata.category(c).startswith("L"))
        N = char_class(lambda c: unicodedata.category(c).startswith("N"))
        self.pat = re.compile(r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|"
                              f"[{L}]+|[{N}]|[^\\s{L}{N}]+", re.IGNORECASE)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = set(zip(word, word[1:]))
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda p: self.bpe_ranks.get(p, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word, i = [], 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = set(zip(word, word[1:]))
        return " ".join(word)

    def encode(self, text):
        text = html.unescape(html.unescape(ftfy_subset(text))).strip()
        text = re.sub(r"\s+", " ", text).strip().lower()
        ids = []
        for token in self.pat.findall(text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return ids


POOLS = ["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789",
         "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", " \t\n\r\x0b\x0c\x85\xa0\u2003\u3000",
         "éüßñçÅÉÖ", "ΣσςΑΒΓαβγ", "ПриветМир", "生成一张红色花朵", "🦋🌸👍🏽",
         "\u0301\u0308\u0307", "ﬁﬂﬀﬃ", "ＡＢＣａｂ１２！", "“”‘’ʼ", "\x01\x7f\u200e\ufeff\x93",
         "İıſKÅ", "½²Ⅷⅻ⑴"]
SNIPPETS = ["&amp;", "&amp;amp;", "&lt;", "&#233;", "&#x41;", "&eacute", "&notit;", "&#128;",
            "&#0;", "'s", "'ll", "'RE", "<|endoftext|>", "<|startoftext|>", "&", "#"]


def random_text(rng):
    parts = []
    for _ in range(rng.randint(0, 12)):
        if rng.random() < 0.2:
            parts.append(rng.choice(SNIPPETS))
        else:
            pool = rng.choice(POOLS)
            parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 8))))
    return "".join(parts)


def main():
    folder, count, seed, binary = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    tok = SimpleTokenizer(folder)
    rng = random.Random(seed)
    texts = [random_text(rng) for _ in range(count)]
    payload = "".join(json.dumps(t) + "\n" for t in texts)
    out = subprocess.run([binary, folder], input=payload, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    bad = 0
    for text, line in zip(texts, out):
        want = tok.encode(text)
        got = [int(x) for x in line.split()]
        if got != want:
            bad += 1
            if bad <= 10:
                print("MISMATCH", json.dumps(text), "\n  want", want, "\n  got ", got)
    print(f"{count - bad}/{count} texts identical")


if __name__ == "__main__":
    main()
