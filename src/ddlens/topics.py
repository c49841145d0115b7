"""Corpus themes: a topic model over a folder of posts (``ddlens themes DIR``).

The vocabulary is the keyphrase candidates of :mod:`ddlens.components.themes` (one- to
three-word phrases between stop words, plurals folded) seen in at least ``min_df`` posts
and at most ``max_df`` of them. Posts become sublinear TF-IDF rows; scikit-learn's NMF
(deterministic ``nndsvda`` start, fixed ``random_state``) finds ``k`` themes. Each theme
lists its top terms (a term inside a better one is dropped: no "transformation" beside
"digital transformation"), its posts (each post goes to its strongest theme) and how many
of them appeared each year. Same folder, same output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .article import Article

__all__ = ["CorpusThemes", "corpus_themes", "default_k"]


@dataclass
class _Post:
    article: Article
    keys: np.ndarray
    counts: np.ndarray


def default_k(n_posts: int) -> int:
    """About sqrt(n/2) themes, between 2 and 10."""
    return max(2, min(10, round(math.sqrt(n_posts / 2))))


class CorpusThemes:
    """Fits the topic model over Articles; :meth:`result` gives the JSON-ready summary."""

    def __init__(
        self,
        k: int | None = None,
        top_terms: int = 10,
        min_df: int = 2,
        max_df: float = 0.5,
        random_state: int = 0,
    ) -> None:
        import spacy

        from .components.themes import PhraseExtractor

        self.k = k
        self.top_terms = top_terms
        self.min_df = min_df
        self.max_df = max_df
        self.random_state = random_state
        self.nlp = spacy.blank("en")
        self.extractor = PhraseExtractor(self.nlp.vocab)
        self.posts: list[_Post] = []

    def add(self, article: Article) -> None:
        doc = self.nlp.make_doc(article.text)
        p = self.extractor.extract(doc)
        keep = ~p.weak
        self.posts.append(_Post(article, p.keys[keep], p.counts[keep]))

    def _phrase_info(self, post: _Post, keys: Sequence[int]) -> dict[int, tuple[str, set[int]]]:
        """Surface form and sub-phrase keys of each key, read from one post that has it."""
        from .components.themes import PhraseExtractor

        doc = self.nlp.make_doc(post.article.text)
        p = self.extractor.extract(doc)
        names = self.extractor.surfaces(p, list(keys))
        out: dict[int, tuple[str, set[int]]] = {}
        for key in keys:
            occ = int(np.flatnonzero(p.occ_keys == np.uint64(key))[0])
            out[key] = (names[key], PhraseExtractor.subkeys(p, occ))
        return out

    def result(self) -> dict[str, Any]:
        from scipy.sparse import csr_matrix
        from sklearn.decomposition import NMF
        from sklearn.feature_extraction.text import TfidfTransformer

        posts = sorted(self.posts, key=lambda q: (q.article.path or "", q.article.title or ""))
        n = len(posts)
        if n < 2:
            raise ValueError(f"a topic model needs at least 2 posts, got {n}")
        allk = np.concatenate([q.keys for q in posts])
        vocab, df = np.unique(allk, return_counts=True)
        max_df = self.max_df * n if n >= 10 else n
        vocab = vocab[(df >= min(self.min_df, n)) & (df <= max_df)]
        if len(vocab) < 2:
            raise ValueError("too few phrases shared between posts for a topic model")
        rows, cols, vals = [], [], []
        for i, q in enumerate(posts):
            at = np.searchsorted(vocab, q.keys)
            at = np.minimum(at, len(vocab) - 1)
            hit = vocab[at] == q.keys
            rows.append(np.full(int(hit.sum()), i))
            cols.append(at[hit])
            vals.append(q.counts[hit])
        X = csr_matrix(
            (np.concatenate(vals).astype(np.float64), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n, len(vocab)),
        )
        X = TfidfTransformer(sublinear_tf=True).fit_transform(X)
        k = max(1, min(self.k or default_k(n), n, len(vocab)))
        nmf = NMF(n_components=k, init="nndsvda", random_state=self.random_state, max_iter=500)
        W = nmf.fit_transform(X)
        H = nmf.components_
        assign = np.where(W.max(axis=1) > 0, W.argmax(axis=1), -1)

        themes: list[dict[str, Any]] = []
        Xc = X.tocsc()
        for t in range(k):
            order = np.lexsort((vocab, -H[t]))[: self.top_terms * 4]
            cand = [int(vocab[j]) for j in order if H[t, j] > 0]
            info: dict[int, tuple[str, set[int]]] = {}
            by_post: dict[int, list[int]] = {}
            for key in cand:  # read each term from the post where it weighs most
                j = int(np.searchsorted(vocab, np.uint64(key)))
                col = Xc.getcol(j)
                best = int(col.indices[np.argmax(col.data)]) if col.nnz else 0
                by_post.setdefault(best, []).append(key)
            for i, keys in sorted(by_post.items()):
                info.update(self._phrase_info(posts[i], keys))
            terms: list[str] = []
            chosen: list[int] = []
            for key in cand:
                name, subs = info[key]
                if any(key in info[c][1] or c in subs for c in chosen) or name in terms:
                    continue
                chosen.append(key)
                terms.append(name)
                if len(terms) >= self.top_terms:
                    break
            members = np.flatnonzero(assign == t)
            members = members[np.lexsort((members, -W[members, t]))]
            years: dict[str, int] = {}
            for i in members.tolist():
                d = posts[i].article.date
                y = str(d.year) if d is not None else "unknown"
                years[y] = years.get(y, 0) + 1
            themes.append(
                {
                    "terms": terms,
                    "label": ", ".join(terms[:3]),
                    "posts": [
                        {
                            "path": posts[i].article.path,
                            "title": posts[i].article.title,
                            "date": posts[i].article.date.isoformat() if posts[i].article.date else None,
                            "weight": round(float(W[i, t]), 4),
                        }
                        for i in members.tolist()
                    ],
                    "count": int(len(members)),
                    "years": dict(sorted(years.items())),
                }
            )
        themes.sort(key=lambda th: (-th["count"], th["terms"]))
        for i, th in enumerate(themes, 1):
            th["id"] = i
        return {
            "posts": n,
            "k": k,
            "vocabulary": int(len(vocab)),
            "method": "NMF on sublinear TF-IDF of keyphrase candidates",
            "random_state": self.random_state,
            "themes": [{"id": th.pop("id"), **th} for th in themes],
        }


def corpus_themes(articles: Sequence[Article], k: int | None = None, top_terms: int = 10) -> dict[str, Any]:
    """The corpus themes of some Articles (see :class:`CorpusThemes`)."""
    ct = CorpusThemes(k=k, top_terms=top_terms)
    for a in articles:
        ct.add(a)
    return ct.result()
