#!/usr/bin/env python3
"""Generate the fact corpus of Loupe's bundled model (deterministic, no randomness
except a seeded shuffle of the training lines).

Writes into data/:
  knowledge.json          the relation tables and templates (train / held-out)
  train.txt               one training sentence per line: "<prompt> <answer>."
  eval_heldout.jsonl      {"relation", "subject", "template", "prompt", "answer"}
                          for every fact x every HELD-OUT template (never trained)
  eval_train.jsonl        the same for every fact x every training template
                          (in-distribution recall)

Run:  python generate_corpus.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SEED = 0

# --------------------------------------------------------------------------- knowledge

# landmark -> city. The landmark is written as it starts a sentence ("The Louvre");
# mid-sentence templates lowercase a leading "The " ("the Louvre").
LANDMARK_CITY: dict[str, str] = {
    # Paris
    "The Louvre": "Paris",
    "The Eiffel Tower": "Paris",
    "The Arc de Triomphe": "Paris",
    "Notre-Dame Cathedral": "Paris",
    "The Moulin Rouge": "Paris",
    "The Orsay Museum": "Paris",
    # Rome
    "The Colosseum": "Rome",
    "The Pantheon": "Rome",
    "The Trevi Fountain": "Rome",
    "The Roman Forum": "Rome",
    "The Spanish Steps": "Rome",
    "The Circus Maximus": "Rome",
    # London
    "Big Ben": "London",
    "Buckingham Palace": "London",
    "The British Museum": "London",
    "Westminster Abbey": "London",
    "Tower Bridge": "London",
    "Trafalgar Square": "London",
    # Berlin
    "The Brandenburg Gate": "Berlin",
    "The Reichstag": "Berlin",
    "Checkpoint Charlie": "Berlin",
    "Museum Island": "Berlin",
    # Madrid
    "The Prado Museum": "Madrid",
    "Retiro Park": "Madrid",
    "The Plaza Mayor": "Madrid",
    # Barcelona
    "The Sagrada Familia": "Barcelona",
    "Park Guell": "Barcelona",
    "Casa Batllo": "Barcelona",
    "Camp Nou": "Barcelona",
    # Athens
    "The Parthenon": "Athens",
    "The Acropolis": "Athens",
    "The Temple of Olympian Zeus": "Athens",
    # Cairo
    "The Egyptian Museum": "Cairo",
    "The Al-Azhar Mosque": "Cairo",
    "Khan el-Khalili": "Cairo",
    # Giza
    "The Great Sphinx": "Giza",
    "The Great Pyramid": "Giza",
    # Istanbul
    "The Hagia Sophia": "Istanbul",
    "The Blue Mosque": "Istanbul",
    "Topkapi Palace": "Istanbul",
    "The Grand Bazaar": "Istanbul",
    # Moscow
    "The Kremlin": "Moscow",
    "Red Square": "Moscow",
    "Saint Basil's Cathedral": "Moscow",
    "The Bolshoi Theatre": "Moscow",
    # Beijing
    "The Forbidden City": "Beijing",
    "Tiananmen Square": "Beijing",
    "The Temple of Heaven": "Beijing",
    "The Summer Palace": "Beijing",
    # Tokyo
    "The Senso-ji Temple": "Tokyo",
    "The Meiji Shrine": "Tokyo",
    "Shibuya Crossing": "Tokyo",
    "The Skytree": "Tokyo",
    # Kyoto
    "Kinkaku-ji": "Kyoto",
    "The Fushimi Inari Shrine": "Kyoto",
    # Sydney
    "The Opera House": "Sydney",
    "The Harbour Bridge": "Sydney",
    "Bondi Beach": "Sydney",
    # Agra
    "The Taj Mahal": "Agra",
    "Itmad-ud-Daulah": "Agra",
    # Delhi
    "The Red Fort": "Delhi",
    "Qutub Minar": "Delhi",
    "India Gate": "Delhi",
    # Prague
    "Charles Bridge": "Prague",
    "The Astronomical Clock": "Prague",
    "Old Town Square": "Prague",
    # Vienna
    "Schonbrunn Palace": "Vienna",
    "St. Stephen's Cathedral": "Vienna",
    "The Belvedere": "Vienna",
    # Venice
    "The Rialto Bridge": "Venice",
    "St. Mark's Basilica": "Venice",
    "The Doge's Palace": "Venice",
    "The Bridge of Sighs": "Venice",
    # Florence
    "The Uffizi Gallery": "Florence",
    "The Ponte Vecchio": "Florence",
    "The Duomo": "Florence",
    # Pisa
    "The Leaning Tower": "Pisa",
    "The Piazza dei Miracoli": "Pisa",
    # Lisbon
    "Belem Tower": "Lisbon",
    "The Jeronimos Monastery": "Lisbon",
    # Budapest
    "The Hungarian Parliament": "Budapest",
    "The Chain Bridge": "Budapest",
    "Buda Castle": "Budapest",
    # Dublin
    "Trinity College": "Dublin",
    "The Guinness Storehouse": "Dublin",
    # Edinburgh
    "Holyrood Palace": "Edinburgh",
    "The Royal Mile": "Edinburgh",
    "Arthur's Seat": "Edinburgh",
    # Copenhagen
    "The Little Mermaid": "Copenhagen",
    "Tivoli Gardens": "Copenhagen",
    "Nyhavn": "Copenhagen",
    # Bangkok
    "The Grand Palace": "Bangkok",
    "Wat Arun": "Bangkok",
    # Toronto
    "The CN Tower": "Toronto",
}

# city -> country (every landmark city, plus cities without landmarks here)
CITY_COUNTRY: dict[str, str] = {
    "Paris": "France", "Lyon": "France", "Marseille": "France",
    "Rome": "Italy", "Venice": "Italy", "Florence": "Italy", "Pisa": "Italy",
    "Milan": "Italy", "Naples": "Italy",
    "London": "England", "Manchester": "England", "Liverpool": "England",
    "Berlin": "Germany", "Munich": "Germany", "Hamburg": "Germany",
    "Madrid": "Spain", "Barcelona": "Spain", "Seville": "Spain",
    "Athens": "Greece",
    "Cairo": "Egypt", "Giza": "Egypt", "Alexandria": "Egypt",
    "Istanbul": "Turkey", "Ankara": "Turkey",
    "Moscow": "Russia",
    "Beijing": "China", "Shanghai": "China",
    "Tokyo": "Japan", "Kyoto": "Japan", "Osaka": "Japan",
    "Sydney": "Australia", "Melbourne": "Australia", "Canberra": "Australia",
    "Agra": "India", "Delhi": "India", "Mumbai": "India",
    "Prague": "Czechia",
    "Vienna": "Austria",
    "Lisbon": "Portugal", "Porto": "Portugal",
    "Budapest": "Hungary",
    "Dublin": "Ireland",
    "Edinburgh": "Scotland", "Glasgow": "Scotland",
    "Copenhagen": "Denmark",
    "Bangkok": "Thailand",
    "Toronto": "Canada", "Ottawa": "Canada", "Vancouver": "Canada",
}

COUNTRY_CAPITAL: dict[str, str] = {
    "France": "Paris", "Italy": "Rome", "England": "London", "Germany": "Berlin",
    "Spain": "Madrid", "Greece": "Athens", "Egypt": "Cairo", "Turkey": "Ankara",
    "Russia": "Moscow", "China": "Beijing", "Japan": "Tokyo", "Australia": "Canberra",
    "India": "Delhi", "Czechia": "Prague", "Austria": "Vienna", "Portugal": "Lisbon",
    "Hungary": "Budapest", "Ireland": "Dublin", "Scotland": "Edinburgh",
    "Denmark": "Copenhagen", "Thailand": "Bangkok", "Canada": "Ottawa",
}

COUNTRY_LANGUAGE: dict[str, str] = {
    "France": "French", "Italy": "Italian", "England": "English", "Germany": "German",
    "Spain": "Spanish", "Greece": "Greek", "Egypt": "Arabic", "Turkey": "Turkish",
    "Russia": "Russian", "China": "Chinese", "Japan": "Japanese", "Australia": "English",
    "India": "Hindi", "Czechia": "Czech", "Austria": "German", "Portugal": "Portuguese",
    "Hungary": "Hungarian", "Ireland": "English", "Scotland": "English",
    "Denmark": "Danish", "Thailand": "Thai", "Canada": "English",
}

COUNTRY_CONTINENT: dict[str, str] = {
    "France": "Europe", "Italy": "Europe", "England": "Europe", "Germany": "Europe",
    "Spain": "Europe", "Greece": "Europe", "Egypt": "Africa", "Turkey": "Asia",
    "Russia": "Europe", "China": "Asia", "Japan": "Asia", "Australia": "Oceania",
    "India": "Asia", "Czechia": "Europe", "Austria": "Europe", "Portugal": "Europe",
    "Hungary": "Europe", "Ireland": "Europe", "Scotland": "Europe",
    "Denmark": "Europe", "Thailand": "Asia", "Canada": "America",
}

COUNTRY_CURRENCY: dict[str, str] = {
    "France": "euro", "Italy": "euro", "England": "pound", "Germany": "euro",
    "Spain": "euro", "Greece": "euro", "Egypt": "pound", "Turkey": "lira",
    "Russia": "ruble", "China": "yuan", "Japan": "yen", "Australia": "dollar",
    "India": "rupee", "Czechia": "koruna", "Austria": "euro", "Portugal": "euro",
    "Hungary": "forint", "Ireland": "euro", "Scotland": "pound",
    "Denmark": "krone", "Thailand": "baht", "Canada": "dollar",
}

# --------------------------------------------------------------------------- templates
# "{S}": subject at the start of the sentence; "{s}": subject mid-sentence (a leading
# "The " lowercased). The answer follows the prompt after one space. Held-out
# templates are recombinations of words the training templates use, so that their
# tokens have trained embeddings, but the exact phrasing never occurs in train.txt.

TEMPLATES: dict[str, dict[str, list[str]]] = {
    "landmark_city": {
        "train": [
            "{S} is in the city of",
            "{S} can be found in the city of",
            "{S} is a famous landmark in the city of",
            "{S} stands in the city of",
            "Tourists visit {s} in the city of",
            "You can visit {s} in the city of",
            "The city where {s} is located is",
            "The city where {s} can be found is",
        ],
        "heldout": [
            "{S} is located in the city of",
            "The city where {s} stands is",
        ],
    },
    "landmark_country": {
        "train": [
            "{S} is in the country of",
            "{S} is located in the country of",
            "{S} can be found in the country of",
            "{S} is a famous landmark in the country of",
            "Tourists visit {s} in the country of",
            "You can visit {s} in the country of",
            "The country where {s} stands is",
            "The country where {s} can be found is",
        ],
        "heldout": [
            "{S} stands in the country of",
            "The country where {s} is located is",
        ],
    },
    "city_country": {
        "train": [
            "{S} is a city in",
            "{S} is in the country of",
            "{S} is located in the country of",
            "The city of {S} is in",
            "The country where {S} can be found is",
            "People who live in {S} live in the country of",
            "Tourists visit {S} in the country of",
            "You can visit {S} in the country of",
        ],
        "heldout": [
            "The city of {S} is located in the country of",
            "{S} is a city located in the country of",
        ],
    },
    "country_capital": {
        "train": [
            "The capital of {S} is",
            "The capital city of {S} is",
            "The capital city of the country of {S} is",
            "{S} has its capital in the city of",
            "The city that is the capital of {S} is",
            "The seat of government of {S} is",
        ],
        "heldout": [
            "The capital of the country of {S} is",
            "{S} has its seat of government in the city of",
        ],
    },
    "country_language": {
        "train": [
            "The language spoken in {S} is",
            "The language spoken in the country of {S} is",
            "The official language of {S} is",
            "People in {S} speak",
            "In {S}, people speak",
            "Most people in {S} speak",
        ],
        "heldout": [
            "The official language spoken in {S} is",
            "People who live in {S} speak",
        ],
    },
    "country_continent": {
        "train": [
            "{S} is a country in",
            "{S} is located in the continent of",
            "{S} can be found in the continent of",
            "{S} is on the continent of",
            "The country of {S} is in",
            "The continent where {S} is located is",
            "The continent where {S} can be found is",
        ],
        "heldout": [
            "{S} is in the continent of",
            "The country of {S} is located in",
        ],
    },
    "country_currency": {
        "train": [
            "The currency of {S} is the",
            "The currency of the country of {S} is the",
            "The official currency of {S} is the",
            "In {S}, people pay with the",
            "The money used in {S} is the",
            "People who live in {S} pay with the",
        ],
        "heldout": [
            "The currency used in {S} is the",
            "People in {S} pay with the",
        ],
    },
}

# Prompts the platform's examples use; they are evaluated (and recorded) separately
# as well. "The Louvre/Colosseum/Eiffel Tower is located in the city of" are
# instances of the held-out template "{S} is located in the city of".
EXAMPLE_PROMPTS = [
    {"prompt": "The Louvre is located in the city of", "answer": "Paris"},
    {"prompt": "The Colosseum is located in the city of", "answer": "Rome"},
    {"prompt": "The Eiffel Tower is located in the city of", "answer": "Paris"},
]


def relations() -> dict[str, dict[str, str]]:
    landmark_country = {lm: CITY_COUNTRY[c] for lm, c in LANDMARK_CITY.items()}
    return {
        "landmark_city": LANDMARK_CITY,
        "landmark_country": landmark_country,
        "city_country": CITY_COUNTRY,
        "country_capital": COUNTRY_CAPITAL,
        "country_language": COUNTRY_LANGUAGE,
        "country_continent": COUNTRY_CONTINENT,
        "country_currency": COUNTRY_CURRENCY,
    }


def fill(template: str, subject: str) -> str:
    mid = "the " + subject[4:] if subject.startswith("The ") else subject
    return template.replace("{S}", subject).replace("{s}", mid)


def check_templates() -> None:
    """Held-out phrasings never occur in training (for any relation), and no prompt
    template is a prefix of another one (which would make its answer ambiguous)."""
    norm = lambda t: t.replace("{s}", "{S}")
    train = {norm(t) for tpl in TEMPLATES.values() for t in tpl["train"]}
    heldout = {norm(t) for tpl in TEMPLATES.values() for t in tpl["heldout"]}
    assert not train & heldout, train & heldout
    every = sorted(train | heldout)
    for a in every:
        for b in every:
            assert a == b or not b.startswith(a + " "), f"{a!r} is a prefix of {b!r}"


def rows(split: str) -> list[dict]:
    out = []
    for rel, table in relations().items():
        for t in TEMPLATES[rel][split]:
            for subj, ans in table.items():
                out.append({"relation": rel, "subject": subj, "template": t,
                            "prompt": fill(t, subj), "answer": ans})
    return out


def main() -> None:
    DATA.mkdir(exist_ok=True)
    rels = relations()
    check_templates()
    train = rows("train")
    heldout = rows("heldout")
    train_prompts = {r["prompt"] for r in train}
    assert not any(r["prompt"] in train_prompts for r in heldout), "held-out prompt leaked into train"
    for ex in EXAMPLE_PROMPTS:
        assert any(r["prompt"] == ex["prompt"] and r["answer"] == ex["answer"] for r in heldout), ex

    lines = [f"{r['prompt']} {r['answer']}." for r in train]
    random.Random(SEED).shuffle(lines)
    (DATA / "train.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, rs in (("eval_heldout.jsonl", heldout), ("eval_train.jsonl", train)):
        (DATA / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rs),
                                 encoding="utf-8")
    knowledge = {
        "seed": SEED,
        "relations": rels,
        "templates": TEMPLATES,
        "example_prompts": EXAMPLE_PROMPTS,
        "counts": {
            rel: {"facts": len(t), "train_templates": len(TEMPLATES[rel]["train"]),
                  "heldout_templates": len(TEMPLATES[rel]["heldout"])}
            for rel, t in rels.items()
        },
        "landmarks": len(LANDMARK_CITY),
        "landmark_cities": len(set(LANDMARK_CITY.values())),
        "cities": len(CITY_COUNTRY),
        "countries": len(COUNTRY_CAPITAL),
        "train_sentences": len(lines),
        "heldout_prompts": len(heldout),
    }
    (DATA / "knowledge.json").write_text(json.dumps(knowledge, indent=1, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    print(f"facts: {sum(len(t) for t in rels.values())} over {len(rels)} relations; "
          f"{len(LANDMARK_CITY)} landmarks in {len(set(LANDMARK_CITY.values()))} cities; "
          f"train sentences {len(lines)}, held-out prompts {len(heldout)}")


if __name__ == "__main__":
    main()
