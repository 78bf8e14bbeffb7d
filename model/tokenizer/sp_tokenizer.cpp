// sp_tokenizer.cpp — the only C++ in model/tokenizer: libsentencepiece has no C
// API.  Every entry point catches exceptions so none crosses into C.
// vlm_error.h has no extern "C" guard of its own.
extern "C" {
#include "model/core/vlm_error.h"
}
#include "model/tokenizer/sp_tokenizer.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include <sentencepiece_processor.h>

struct sp_tokenizer {
    sentencepiece::SentencePieceProcessor proc;
};

extern "C" int sp_tokenizer_load(const char *model_path, sp_tokenizer **out,
                                 char *err)
{
    *out = nullptr;
    try {
        sp_tokenizer *t = new sp_tokenizer();
        auto st = t->proc.Load(model_path);
        if (!st.ok()) {
            vlm_set_err(err, "%s: cannot load SentencePiece model: %s",
                        model_path, st.ToString().c_str());
            delete t;
            return VLM_EFORMAT;
        }
        *out = t;
        return VLM_OK;
    } catch (const std::bad_alloc &) {
        vlm_set_err(err, "%s: out of memory loading tokenizer", model_path);
        return VLM_ENOMEM;
    } catch (const std::exception &e) {
        vlm_set_err(err, "%s: %s", model_path, e.what());
        return VLM_EFORMAT;
    }
}

extern "C" void sp_tokenizer_destroy(sp_tokenizer *t) { delete t; }

extern "C" int sp_tokenizer_encode(const sp_tokenizer *t, const char *text,
                                   int32_t *ids, int cap, char *err)
{
    try {
        std::vector<int> v;
        auto st = t->proc.Encode(text, &v);
        if (!st.ok()) {
            vlm_set_err(err, "tokenizer: %s", st.ToString().c_str());
            return VLM_EINVAL;
        }
        for (size_t i = 0; i < v.size() && (int)i < cap; i++) ids[i] = v[i];
        return (int)v.size();
    } catch (const std::exception &e) {
        vlm_set_err(err, "tokenizer: %s", e.what());
        return VLM_ENOMEM;
    }
}

extern "C" char *sp_tokenizer_decode(const sp_tokenizer *t, const int32_t *ids,
                                     int n, char *err)
{
    try {
        std::vector<int> v(ids, ids + n);
        const int vocab = t->proc.GetPieceSize();
        for (int id : v)
            if (id < 0 || id >= vocab) {
                vlm_set_err(err, "tokenizer: id %d outside vocabulary of %d",
                            id, vocab);
                return nullptr;
            }
        std::string s;
        auto st = t->proc.Decode(v, &s);
        if (!st.ok()) {
            vlm_set_err(err, "tokenizer: %s", st.ToString().c_str());
            return nullptr;
        }
        char *r = static_cast<char *>(std::malloc(s.size() + 1));
        if (!r) {
            vlm_set_err(err, "tokenizer: out of memory");
            return nullptr;
        }
        std::memcpy(r, s.data(), s.size());
        r[s.size()] = '\0';
        return r;
    } catch (const std::exception &e) {
        vlm_set_err(err, "tokenizer: %s", e.what());
        return nullptr;
    }
}

extern "C" int sp_tokenizer_vocab_size(const sp_tokenizer *t)
{
    return t->proc.GetPieceSize();
}

extern "C" const char *sp_tokenizer_id_to_piece(const sp_tokenizer *t,
                                                int32_t id)
{
    if (id < 0 || id >= t->proc.GetPieceSize()) return nullptr;
    // IdToPiece returns a reference into the model proto: stable storage.
    return t->proc.IdToPiece(id).c_str();
}

extern "C" int32_t sp_tokenizer_piece_to_id(const sp_tokenizer *t,
                                            const char *piece)
{
    int id = t->proc.PieceToId(piece);
    // PieceToId maps unknown pieces to unk; tell that apart from "<unk>".
    if (id == t->proc.unk_id() &&
        std::strcmp(piece, t->proc.IdToPiece(id).c_str()) != 0)
        return -1;
    return id;
}

extern "C" int32_t sp_tokenizer_bos_id(const sp_tokenizer *t)
{
    return t->proc.bos_id();
}
extern "C" int32_t sp_tokenizer_eos_id(const sp_tokenizer *t)
{
    return t->proc.eos_id();
}
