"""Language tags: Chinese, English, other languages in Latin and other scripts, and texts without words."""

import pytest

from feedbackiq._lang import detect_language, has_words

OTHER_LANGUAGE = [
    "La aplicación se cierra cada vez que abro la cámara",   # Spanish
    "No funciona el pago con tarjeta",
    "Das Gerät stürzt nach dem Update ständig ab",             # German
    "Die Übersetzung ist schlecht",
    "L'application est très lente depuis la mise à jour",      # French
    "Je ne peux pas me connecter",
    "O aplicativo não abre no meu celular",                    # Portuguese
    "L'app è molto lenta e si blocca",                         # Italian
    "De app werkt niet meer na de update",                     # Dutch
    "Батарея садится за пару часов",                           # Russian
    "Η εφαρμογή κολλάει συνέχεια",                             # Greek
    "앱이 자꾸 꺼져요",                                          # Korean
    "バッテリーの持ちが悪い",                                     # Japanese (kana)
    "電池の持ちが悪いです",                                       # Japanese (kanji and kana)
]

ENGLISH = [
    "Battery drains fast", "The café's wifi is slow", "Shipping to Las Vegas took a week",
    "I'm not sure what this charge is for", "José from support was great", "app crashes on startup",
    "Can I exchange currency to EU?", "Please add a dark mode",
]


@pytest.mark.parametrize("text", OTHER_LANGUAGE)
def test_other_languages_are_not_english_or_chinese(text):
    assert detect_language(text) == "other"
    assert has_words(text)


@pytest.mark.parametrize("text", ENGLISH)
def test_english_stays_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["12345", "10/10", "👍👍 5", "😡 1/10", "!!!", ""])
def test_texts_without_words(text):
    assert detect_language(text) == "other" and not has_words(text)


def test_chinese_unchanged():
    assert detect_language("电池续航太差了") == "zh"
    assert detect_language("app 老是闪退") == "zh"
