"""Labels of the app and maps in Kyrgyz, Russian and English.

Every label is a key of :data:`STRINGS` with one text per language in :data:`LANGUAGES`;
:func:`t` looks one up and formats it. The catalogue covers the app, the maps, the criteria
editor (``crit.*``, ``solver.*``, ``opt.*``), the HTML report and the Council summary
(``report.*``, ``summary.*``) and the texts the data and the run write in English (dataset
name, travel-model label, estimate notes: :func:`dataset_label`, :func:`travel_model_label`,
:func:`estimate_note`). Scenario titles and descriptions come from the scenario file
(``title_ky``, ``title_ru``...: :func:`localized`).

Unit and settlement names come from the data (``name_ky``, ``name_ru``, ``name_en``) through
:func:`display_name`, in the interface's script: Cyrillic for Kyrgyz and Russian, Latin for
English, where a name the data has only in Cyrillic is transliterated
(:mod:`atr_model.data.translit`, said by :func:`translit_note`); the code stands in when a
unit has no name at all.
The Kyrgyz and Russian texts are working translations for the interface; the Concept's own
wording is quoted from :mod:`atr_model.criteria` with its attribution.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from atr_model.data.translit import is_cyrillic, latin_unit_name

__all__ = [
    "LANGUAGES",
    "DEFAULT_LANGUAGE",
    "STRINGS",
    "t",
    "display_name",
    "is_transliterated",
    "translit_note",
    "name_columns",
    "format_number",
    "format_minutes",
    "status_label",
    "KPI_LABELS",
    "ESTIMATED_KPIS",
    "kpi_label",
    "field_label",
    "field_help",
    "option_label",
    "localized",
    "dataset_label",
    "travel_model_label",
    "estimate_note",
    "rule_labels",
]

#: Language code -> its own name, in the order shown in the selector.
LANGUAGES: dict[str, str] = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}

#: Language used when none is chosen.
DEFAULT_LANGUAGE = "en"

#: Label key -> language -> text. ``{name}`` placeholders are filled by :func:`t`.
STRINGS: dict[str, dict[str, str]] = {
    "app.title": {
        "ky": "Административдик-аймактык реформанын сценарийлери",
        "ru": "Сценарии административно-территориальной реформы",
        "en": "Administrative-territorial reform scenarios",
    },
    "app.subtitle": {
        "ky": "Айылдык аймактарды ирилештирүүнүн моделдөөчүсү (Кыргыз Республикасы)",
        "ru": "Моделирование укрупнения айылных аймаков (Кыргызская Республика)",
        "en": "Consolidation modeller for aiyl aimaks (Kyrgyz Republic)",
    },
    "lang.label": {"ky": "Тил", "ru": "Язык", "en": "Language"},
    "sidebar.data": {"ky": "Маалыматтар", "ru": "Данные", "en": "Data"},
    "sidebar.dataset": {"ky": "Маалымат топтому", "ru": "Набор данных", "en": "Dataset"},
    "sidebar.territory": {"ky": "Аймак", "ru": "Территория", "en": "Territory"},
    "sidebar.whole": {"ky": "Бүт аймак", "ru": "Вся территория", "en": "Whole territory"},
    "sidebar.territory_help": {
        "ky": "Бир районду тандасаңыз, оңдоолордон кийин кайра чечүү бир нече секунд алат.",
        "ru": "Работа с одним районом: пересчёт после правок занимает секунды.",
        "en": "Work on one raion: with raion nesting its plan does not depend on other raions, and a re-solve after an edit takes about a second.",
    },
    "sidebar.scenario": {"ky": "Сценарий", "ru": "Сценарий", "en": "Scenario"},
    "sidebar.upload": {
        "ky": "Сценарий файлын жүктөө (YAML)",
        "ru": "Загрузить файл сценария (YAML)",
        "en": "Upload a scenario file (YAML)",
    },
    "sidebar.criteria": {"ky": "Критерийлер", "ru": "Критерии", "en": "Criteria"},
    "sidebar.solver": {"ky": "Чечүүчү", "ru": "Решатель", "en": "Solver"},
    "sidebar.run": {"ky": "Сценарийди иштетүү", "ru": "Запустить сценарий", "en": "Run scenario"},
    "sidebar.reset": {"ky": "Баштапкы абалга кайтаруу", "ru": "Сбросить изменения", "en": "Reset edits"},
    "sidebar.none": {"ky": "жок", "ru": "нет", "en": "none"},
    "sidebar.no_limit": {"ky": "Чек жок", "ru": "Без ограничения", "en": "No limit"},
    "dataset.demo": {
        "ky": "Демо Республикасы (ойдон чыгарылган)",
        "ru": "Демо-Республика (вымышленная)",
        "en": "Demo Republic (fictional)",
    },
    "dataset.built": {"ky": "курулган", "ru": "собранный", "en": "built"},
    "dataset.demo_missing": {
        "ky": "Демо маалыматтары азырынча жеткиликсиз.",
        "ru": "Демо-данные пока недоступны.",
        "en": "The demo dataset is not available in this build yet.",
    },
    "view.label": {"ky": "Бөлүм", "ru": "Раздел", "en": "View"},
    "view.map": {"ky": "Карта", "ru": "Карта", "en": "Map"},
    "view.compare": {"ky": "Салыштыруу", "ru": "Сравнение", "en": "Compare"},
    "view.edits": {"ky": "Кол менен оңдоо", "ru": "Ручные правки", "en": "Manual edits"},
    "view.downloads": {"ky": "Жүктөп алуу", "ru": "Скачать", "en": "Downloads"},
    "view.concept": {"ky": "Концепция", "ru": "Концепция", "en": "Concept"},
    "run.status": {"ky": "Сценарий эсептелүүдө…", "ru": "Расчёт сценария…", "en": "Running the scenario…"},
    "run.load_data": {"ky": "Маалыматтарды жүктөө", "ru": "Загрузка данных", "en": "Loading data"},
    "step.dataset": {"ky": "Маалыматтар", "ru": "Данные", "en": "Dataset"},
    "step.travel model": {"ky": "Жол убактысынын модели", "ru": "Модель времени в пути", "en": "Travel model"},
    "step.instance": {"ky": "Моделдин киргизүүлөрү", "ru": "Входные данные модели", "en": "Building the model input"},
    "step.solve": {
        "ky": "Оптималдаштыруу (так чечим)",
        "ru": "Оптимизация (точное решение)",
        "en": "Optimising (exact solve)",
    },
    "step.check": {"ky": "Көз карандысыз текшерүү", "ru": "Независимая проверка", "en": "Independent check of the plan"},
    "step.passports": {"ky": "Паспорттор жана түшүндүрмөлөр", "ru": "Паспорта и пояснения", "en": "Passports and explanations"},
    "step.write": {"ky": "Жыйынтыкты сактоо", "ru": "Сохранение результата", "en": "Writing the result package"},
    "run.done": {"ky": "Даяр: {seconds} с", "ru": "Готово за {seconds} с", "en": "Done in {seconds} s"},
    "run.count": {
        "ky": "Иштетилген сценарийлер: {n}",
        "ru": "Запусков сценария: {n}",
        "en": "Scenario runs: {n}",
    },
    "run.none_yet": {
        "ky": "Сценарийди тандап, «Сценарийди иштетүү» баскычын басыңыз.",
        "ru": "Выберите сценарий и нажмите «Запустить сценарий».",
        "en": "Choose a scenario and press “Run scenario”.",
    },
    "run.stale": {
        "ky": "Критерийлер өзгөрдү: жаңы жыйынтык үчүн кайра иштетиңиз.",
        "ru": "Критерии изменились: запустите сценарий заново.",
        "en": "The criteria changed since this result: run the scenario again to update it.",
    },
    "run.unavailable": {
        "ky": "Сценарий иштеткич бул версияда азырынча жок.",
        "ru": "Модуль запуска сценариев пока недоступен в этой сборке.",
        "en": "The scenario runner is not available in this build yet.",
    },
    "error.title": {"ky": "Ката", "ru": "Ошибка", "en": "Error"},
    "error.unexpected": {
        "ky": "Күтүлбөгөн ката: {text}",
        "ru": "Непредвиденная ошибка: {text}",
        "en": "Unexpected error: {text}",
    },
    "kpi.units": {"ky": "Бирдиктер", "ru": "Единиц", "en": "Units"},
    "kpi.units_before": {"ky": "Бирдиктер (мурун)", "ru": "Единиц до", "en": "Units before"},
    "kpi.units_after": {"ky": "Бирдиктер (кийин)", "ru": "Единиц после", "en": "Units after"},
    "kpi.below_floor": {
        "ky": "Босогодон төмөн",
        "ru": "Ниже порога",
        "en": "Below the floor",
    },
    "kpi.mean_travel": {
        "ky": "Борборго орточо жол (мүн.)",
        "ru": "Среднее время до центра (мин)",
        "en": "Mean travel to centre (min)",
    },
    "kpi.worst_travel": {
        "ky": "Эң узак жол (мүн.)",
        "ru": "Максимальное время (мин)",
        "en": "Worst travel (min)",
    },
    "kpi.solver": {"ky": "Чечүүчү", "ru": "Решатель", "en": "Solver"},
    "kpi.optimal": {"ky": "оптималдуу", "ru": "оптимум", "en": "optimal"},
    "kpi.not_optimal": {"ky": "далилденген эмес", "ru": "не доказан", "en": "not proven"},
    "kpi.table": {"ky": "Көрсөткүчтөр", "ru": "Показатели", "en": "Key figures"},
    "kpi.metric": {"ky": "Көрсөткүч", "ru": "Показатель", "en": "Figure"},
    "kpi.delta": {"ky": "Айырма", "ru": "Разница", "en": "Difference"},
    "kpi.pop_min": {"ky": "Жаңы бирдиктин эң аз калкы", "ru": "Мин. население новой единицы", "en": "Smallest new unit (people)"},
    "kpi.pop_max": {"ky": "Жаңы бирдиктин эң көп калкы", "ru": "Макс. население новой единицы", "en": "Largest new unit (people)"},
    "kpi.below_floor_before": {"ky": "Босогодон төмөн (мурун)", "ru": "Ниже порога до", "en": "Below the floor before"},
    "kpi.below_floor_ne": {
        "ky": "Босогодон төмөн (бошотулбаган)",
        "ru": "Ниже порога (без искл.)",
        "en": "Below floor, not exempt",
    },
    "kpi.below_floor_ne_before": {
        "ky": "Босогодон төмөн, бошотулбаган (мурун)",
        "ru": "Ниже порога без исключений, до",
        "en": "Below the floor, not exempt, before",
    },
    "kpi.merged_units": {"ky": "Кошулган бирдиктер", "ru": "Присоединённых единиц", "en": "Units merged"},
    "kpi.exempt_units": {"ky": "Бошотулган айыл аймактар", "ru": "Айыл аймаков-исключений", "en": "Exempt aiyl aimaks"},
    "kpi.towns": {"ky": "Шаарлар (өзүнчө)", "ru": "Города (отдельно)", "en": "Towns (kept apart)"},
    "kpi.no_route": {
        "ky": "Борборго жолу жок конуштар",
        "ru": "Пунктов без пути к центру",
        "en": "Settlements without a route to the centre",
    },
    "kpi.abolished_offices": {"ky": "Жоюлган айыл өкмөтүлөр", "ru": "Упразднённых айыл окмоту", "en": "Aiyl okmotu offices abolished"},
    "kpi.staff_saved": {"ky": "Кыскарган штаттар", "ru": "Сокращённых штатных единиц", "en": "Staff positions saved"},
    "kpi.annual_saving": {"ky": "Жылдык үнөм (сом)", "ru": "Годовая экономия (сом)", "en": "Annual saving (som)"},
    "kpi.one_off_cost": {"ky": "Бир жолку чыгым (сом)", "ru": "Единовременные затраты (сом)", "en": "One-off cost (som)"},
    "kpi.payback": {"ky": "Акталуу мөөнөтү (жыл)", "ru": "Срок окупаемости (лет)", "en": "Payback (years)"},
    "kpi.objective": {"ky": "Максат функциясы", "ru": "Целевая функция", "en": "Objective"},
    "kpi.pop_median": {"ky": "Калктын медианасы", "ru": "Медиана населения", "en": "Median new unit (people)"},
    "kpi.seconds": {"ky": "Эсептөө убактысы (с)", "ru": "Время расчёта (с)", "en": "Solve time (s)"},
    "map.current_units": {"ky": "Азыркы бирдиктер", "ru": "Текущие единицы", "en": "Current units"},
    "map.new_units": {"ky": "Сунушталган жаңы бирдиктер", "ru": "Предлагаемые новые единицы", "en": "Proposed new units"},
    "map.unchanged": {"ky": "Өзгөрүүсүз бирдик", "ru": "Единица без изменений", "en": "Unit kept as it is"},
    "map.centres": {"ky": "Борборлор", "ru": "Центры", "en": "Centres"},
    "map.settlements": {"ky": "Калктуу конуштар", "ru": "Населённые пункты", "en": "Settlements"},
    "map.links": {"ky": "Бирдиктердин байланыштары", "ru": "Связи между единицами", "en": "Links between units"},
    "map.raions": {"ky": "Райондор", "ru": "Районы", "en": "Raions"},
    "map.oblasts": {"ky": "Облустар", "ru": "Области", "en": "Oblasts"},
    "map.changed": {"ky": "Өзгөргөн бирдиктер", "ru": "Изменившиеся единицы", "en": "Units that differ"},
    "map.legend": {"ky": "Белгилер", "ru": "Условные обозначения", "en": "Legend"},
    "map.legend_size": {
        "ky": "тегерек өлчөмү = калк",
        "ru": "размер круга = население",
        "en": "circle size = population",
    },
    "map.barrier": {"ky": "тоскоол аркылуу", "ru": "через барьер", "en": "across a barrier"},
    "map.location_estimated": {
        "ky": "жайгашуусу болжолдуу",
        "ru": "местоположение приблизительное",
        "en": "location approximate",
    },
    "map.modelled": {"ky": "моделдик (жол маалыматы жок)", "ru": "модельная (без данных о дорогах)", "en": "modelled (no road data)"},
    "map.estimate_note": {
        "ky": "≈ белгиси баалоону билдирет",
        "ru": "≈ отмечает оценочные значения",
        "en": "≈ marks an estimated value",
    },
    "map.relief": {"ky": "Рельеф", "ru": "Рельеф", "en": "Relief"},
    "map.relief_note": {
        "ky": "Фон: бийиктик торунан тоолордун көлөкөсү (интернетсиз)",
        "ru": "Фон: отмывка рельефа по сетке высот (без интернета)",
        "en": "Background: hillshade of the elevation grid (offline)",
    },
    "map.towns": {"ky": "Шаар (статусу сакталат)", "ru": "Город (сохраняет статус)", "en": "Town (keeps its status)"},
    "map.rule.border": {"ky": "чек ара", "ru": "приграничная", "en": "border"},
    "map.rule.high_mountain": {"ky": "бийик тоолуу", "ru": "высокогорная", "en": "high mountain"},
    "map.rule.remote": {"ky": "алыскы", "ru": "отдалённая", "en": "remote"},
    "map.rule.hard_to_reach": {"ky": "жетүү кыйын", "ru": "труднодоступная", "en": "hard to reach"},
    "map.rule.other": {"ky": "башка эреже", "ru": "другое правило", "en": "other rule"},
    "map.hover_note": {
        "ky": "Жаңы бирдиктин паспорту үчүн курсорду кармаңыз; аттары жакындатканда көрүнөт",
        "ru": "Наведите курсор, чтобы увидеть паспорт новой единицы; названия видны при приближении",
        "en": "Hover for a new unit's passport; names appear as you zoom in",
    },
    "map.new_unit_names": {"ky": "Жаңы бирдиктердин аттары", "ru": "Названия новых единиц", "en": "New unit names"},
    "map.settlement_names": {"ky": "Конуштардын аттары", "ru": "Названия населённых пунктов", "en": "Settlement names"},
    "field.code": {"ky": "Код", "ru": "Код", "en": "Code"},
    "field.name": {"ky": "Аталышы", "ru": "Название", "en": "Name"},
    "field.unit": {"ky": "Бирдик", "ru": "Единица", "en": "Unit"},
    "field.level": {"ky": "Деңгээл", "ru": "Уровень", "en": "Level"},
    "field.raion": {"ky": "Район", "ru": "Район", "en": "Raion"},
    "field.population": {"ky": "Калкы", "ru": "Население", "en": "Population"},
    "field.area": {"ky": "Аянты (км²)", "ru": "Площадь (км²)", "en": "Area (km²)"},
    "field.status": {"ky": "Абалы", "ru": "Статус", "en": "Status"},
    "field.reason": {"ky": "Себеби", "ru": "Причина", "en": "Reason"},
    "field.new_unit": {"ky": "Жаңы бирдик", "ru": "Новая единица", "en": "New unit"},
    "field.centre": {"ky": "Борбору", "ru": "Центр", "en": "Centre"},
    "field.members": {"ky": "Курамы", "ru": "Состав", "en": "Members"},
    "field.travel_mean": {
        "ky": "Борборго орточо жол (мүн.)",
        "ru": "Среднее время до центра (мин)",
        "en": "Mean travel to centre (min)",
    },
    "field.travel_max": {
        "ky": "Эң узак жол (мүн.)",
        "ru": "Макс. время до центра (мин)",
        "en": "Worst travel to centre (min)",
    },
    "field.exempt": {"ky": "Бошотулган", "ru": "Исключения", "en": "Exempt members"},
    "field.estimates": {"ky": "Баалоолор", "ru": "Оценочные данные", "en": "Estimated inputs"},
    "field.travel_model": {"ky": "Жол модели", "ru": "Модель доступности", "en": "Travel model"},
    "field.indicator": {"ky": "Көрсөткүч", "ru": "Показатель", "en": "Indicator"},
    "estimate.suffix": {"ky": "баалоо", "ru": "оценка", "en": "estimate"},
    "status.kept": {"ky": "өзгөрүүсүз", "ru": "сохраняется", "en": "kept"},
    "status.kept_exempt": {
        "ky": "өзгөрүүсүз (бошотулган)",
        "ru": "сохраняется (исключение)",
        "en": "kept (exempt)",
    },
    "status.centre": {"ky": "жаңы бирдиктин борбору", "ru": "центр новой единицы", "en": "centre of a new unit"},
    "status.merged": {"ky": "кошулду", "ru": "присоединяется", "en": "merged"},
    "status.below_floor_no_partner": {
        "ky": "босогодон төмөн, өнөгү жок",
        "ru": "ниже порога, нет партнёра",
        "en": "below the floor, no feasible partner",
    },
    "units.table": {"ky": "Бирдиктер жана түшүндүрмөлөр", "ru": "Единицы и пояснения", "en": "Units and explanations"},
    "units.filter": {"ky": "Абалы боюнча чыпкалоо", "ru": "Фильтр по статусу", "en": "Filter by status"},
    "units.search": {"ky": "Издөө (аталышы же коду)", "ru": "Поиск (название или код)", "en": "Search (name or code)"},
    "passport.title": {"ky": "Жаңы бирдиктин паспорту", "ru": "Паспорт новой единицы", "en": "Passport of the new unit"},
    "passport.pick": {"ky": "Жаңы бирдикти тандаңыз", "ru": "Выберите новую единицу", "en": "Choose a new unit"},
    "compare.title": {"ky": "Эки сценарийди салыштыруу", "ru": "Сравнение двух сценариев", "en": "Compare two scenarios"},
    "compare.a": {"ky": "Сценарий A", "ru": "Сценарий A", "en": "Scenario A"},
    "compare.b": {"ky": "Сценарий B", "ru": "Сценарий B", "en": "Scenario B"},
    "compare.current": {"ky": "Учурдагы (оңдоолор менен)", "ru": "Текущий (с правками)", "en": "Current (with edits)"},
    "compare.run": {"ky": "Салыштыруу", "ru": "Сравнить", "en": "Compare"},
    "compare.differ": {
        "ky": "Айырмаланган бирдиктер: {n}",
        "ru": "Различающихся единиц: {n}",
        "en": "Units that differ: {n}",
    },
    "compare.same": {
        "ky": "Эки сценарий бирдей бөлүштүрүүнү берет.",
        "ru": "Оба сценария дают одинаковое разбиение.",
        "en": "Both scenarios give the same partition.",
    },
    "compare.partners_a": {"ky": "A боюнча кошуна", "ru": "Вместе в A", "en": "Grouped with in A"},
    "compare.partners_b": {"ky": "B боюнча кошуна", "ru": "Вместе в B", "en": "Grouped with in B"},
    "compare.joined": {"ky": "Кошулгандар", "ru": "Присоединились", "en": "Now grouped with"},
    "compare.left": {"ky": "Ажырагандар", "ru": "Отделились", "en": "No longer grouped with"},
    "compare.before": {"ky": "мурунку", "ru": "до", "en": "before"},
    "compare.after": {"ky": "кийинки", "ru": "после", "en": "after"},
    "compare.diff_map": {"ky": "Айырмалар картасы", "ru": "Карта различий", "en": "Difference map"},
    "edits.title": {"ky": "Кол менен оңдоолор", "ru": "Ручные правки", "en": "Manual edits"},
    "edits.help": {
        "ky": "Оңдоолор сценарийге кошулат; «Кайра чечүү» баскычы аларды эсепке алат.",
        "ru": "Правки добавляются в сценарий; «Пересчитать» учитывает их.",
        "en": "Edits are added to the scenario's locks and exemptions; “Re-solve” takes them into account.",
    },
    "edits.unit": {"ky": "Бирдик", "ru": "Единица", "en": "Unit"},
    "edits.other": {"ky": "Экинчи бирдик", "ru": "Вторая единица", "en": "Other unit"},
    "edits.action": {"ky": "Аракет", "ru": "Действие", "en": "Action"},
    "edits.reason": {"ky": "Себеби", "ru": "Причина", "en": "Reason"},
    "edits.keep_separate": {"ky": "Өзүнчө калтыруу", "ru": "Оставить отдельно", "en": "Keep separate"},
    "edits.together": {"ky": "Сөзсүз бириктирүү", "ru": "Объединить обязательно", "en": "Force together"},
    "edits.apart": {"ky": "Бириктирүүгө тыюу", "ru": "Запретить объединение", "en": "Forbid together"},
    "edits.exempt": {"ky": "Босогодон бошотуу", "ru": "Освободить от порога", "en": "Exempt from the floor"},
    "edits.add": {"ky": "Оңдоону кошуу", "ru": "Добавить правку", "en": "Add edit"},
    "edits.undo": {"ky": "Артка кайтаруу", "ru": "Отменить", "en": "Undo"},
    "edits.clear": {"ky": "Баарын өчүрүү", "ru": "Очистить", "en": "Clear all"},
    "edits.resolve": {"ky": "Кайра чечүү", "ru": "Пересчитать", "en": "Re-solve"},
    "edits.list": {"ky": "Оңдоолор", "ru": "Правки", "en": "Edits"},
    "edits.empty": {"ky": "Оңдоолор жок.", "ru": "Правок нет.", "en": "No edits yet."},
    "edits.same_unit": {
        "ky": "Эки башка бирдикти тандаңыз.",
        "ru": "Выберите две разные единицы.",
        "en": "Choose two different units.",
    },
    "downloads.title": {"ky": "Жыйынтыкты жүктөп алуу", "ru": "Скачать результат", "en": "Download the result"},
    "downloads.zip": {"ky": "Жыйынтык папкасы (ZIP)", "ru": "Папка результата (ZIP)", "en": "Result folder (ZIP)"},
    "downloads.gpkg": {"ky": "Жаңы бирдиктер (GeoPackage)", "ru": "Новые единицы (GeoPackage)", "en": "New units (GeoPackage)"},
    "downloads.csv": {"ky": "Бөлүштүрүү (CSV)", "ru": "Распределение (CSV)", "en": "Assignments (CSV)"},
    "downloads.xlsx": {"ky": "Таблицалар (XLSX)", "ru": "Таблицы (XLSX)", "en": "Tables (XLSX)"},
    "downloads.html": {"ky": "Отчёт (HTML)", "ru": "Отчёт (HTML)", "en": "Report (HTML)"},
    "downloads.yaml": {"ky": "Сценарий (YAML)", "ru": "Сценарий (YAML)", "en": "Scenario (YAML)"},
    "downloads.cli": {
        "ky": "Ушул сценарийди командалык саптан иштетүү:",
        "ru": "Запуск этого сценария из командной строки:",
        "en": "Rerun this scenario from the command line:",
    },
    "downloads.whole": {
        "ky": "командалык сап бүт аймакты эсептейт",
        "ru": "командная строка считает всю территорию",
        "en": "the command line runs the whole territory",
    },
    "downloads.missing": {
        "ky": "Бул файл жыйынтыкта жок.",
        "ru": "Этого файла нет в результате.",
        "en": "This file is not part of the result.",
    },
    "concept.title": {
        "ky": "Концепциянын критерийлери",
        "ru": "Критерии Концепции",
        "en": "The Concept's criteria",
    },
    "concept.unofficial": {
        "ky": "англисче котормо расмий эмес",
        "ru": "английский перевод неофициальный",
        "en": "unofficial translation",
    },
    "concept.original": {"ky": "Түп нускасы (кыргызча)", "ru": "Оригинал (кыргызский)", "en": "Original (Kyrgyz)"},
    "concept.missing": {
        "ky": "Концепциянын тексти бул версияда азырынча жок.",
        "ru": "Текст Концепции пока недоступен в этой сборке.",
        "en": "The Concept's text is not available in this build yet.",
    },
    "criterion.label": {"ky": "{n}-критерий", "ru": "Критерий {n}", "en": "Criterion {n}"},
    # --- robustness ensembles (issue 14) ---
    "view.robustness": {"ky": "Туруктуулук", "ru": "Устойчивость", "en": "Robustness"},
    "robustness.title": {
        "ky": "Туруктуулук: ар бир сунуш канчалык ишенимдүү",
        "ru": "Устойчивость: насколько надёжно каждое предложение",
        "en": "Robustness: how sure is each proposal",
    },
    "robustness.intro": {
        "ky": "Ар бир болжолдуу көрсөткүч (калктын саны, моделделген жол убактысы) тандалган жайылыш менен кайра-кайра тартылат, ар бир вариант ошол эле критерийлер менен так чечилет. Үлүштөр — баалоолор: алар болжолдуу жайылыштардан келип чыгат.",
        "ru": "Каждая оценочная величина (численность населения, смоделированное время в пути) многократно разыгрывается с принятым разбросом, и каждый вариант решается точно по тем же критериям. Доли — оценки: они следуют из принятых разбросов.",
        "en": "Every estimated input (populations, modelled travel times) is drawn many times with an assumed spread, and each draw is solved exactly under the same criteria. Shares are estimates: they follow from the assumed spreads.",
    },
    "robustness.draws": {"ky": "Тартуулардын саны", "ru": "Число розыгрышей", "en": "Number of draws"},
    "robustness.seed": {"ky": "Кокустук сан (seed)", "ru": "Начальное число (seed)", "en": "Random seed"},
    "robustness.run": {"ky": "Туруктуулукту эсептөө", "ru": "Рассчитать устойчивость", "en": "Run robustness"},
    "robustness.progress": {
        "ky": "Тартуу {done} / {total}", "ru": "Розыгрыш {done} из {total}", "en": "Draw {done} of {total}",
    },
    "robustness.nominal": {"ky": "Негизги эсеп…", "ru": "Базовый расчёт…", "en": "Nominal run…"},
    "robustness.need_scenario": {
        "ky": "Адегенде маалымат топтомун жана сценарийди тандаңыз.",
        "ru": "Сначала выберите набор данных и сценарий.",
        "en": "Choose a dataset and a scenario first.",
    },
    "robustness.none_yet": {
        "ky": "Туруктуулук азырынча эсептелген жок.",
        "ru": "Устойчивость ещё не рассчитана.",
        "en": "No robustness run yet.",
    },
    "robustness.stable": {
        "ky": "Туруктуу жаңы бирдиктер (≥ {pct}% тартууда)",
        "ru": "Устойчивые новые единицы (≥ {pct}% розыгрышей)",
        "en": "Stable new units (≥ {pct}% of draws)",
    },
    "robustness.fragile_count": {
        "ky": "Морт чечимдер (> {pct}% тартууда өзгөрөт)",
        "ru": "Хрупкие решения (меняются в > {pct}% розыгрышей)",
        "en": "Fragile decisions (flip in > {pct}% of draws)",
    },
    "robustness.map_legend": {
        "ky": "Жаңы бирдик так ушундай болгон тартуулардын үлүшү (баалоо)",
        "ru": "Доля розыгрышей, где новая единица та же (оценка)",
        "en": "Share of draws in which the new unit appears exactly (estimate)",
    },
    "robustness.fragile": {"ky": "Морт чечимдер", "ru": "Хрупкие решения", "en": "Fragile decisions"},
    "robustness.no_fragile": {
        "ky": "{pct}% ашык тартууда өзгөргөн чечим жок.",
        "ru": "Нет решений, меняющихся более чем в {pct}% розыгрышей.",
        "en": "No decision flips in more than {pct}% of draws.",
    },
    "robustness.kpis": {
        "ky": "Негизги көрсөткүчтөр тартуулар боюнча (баалоо)",
        "ru": "Ключевые показатели по розыгрышам (оценка)",
        "en": "Key figures across draws (estimates)",
    },
    "robustness.download": {
        "ky": "Туруктуулук пакети (ZIP)", "ru": "Пакет устойчивости (ZIP)", "en": "Robustness package (ZIP)",
    },
    "robustness.col.unit": {"ky": "Бирдик", "ru": "Единица", "en": "Unit"},
    "robustness.col.status": {"ky": "Негизги чечим", "ru": "Базовое решение", "en": "Nominal decision"},
    "robustness.col.share": {"ky": "Ошол эле бирдик", "ru": "Та же единица", "en": "Same new unit"},
    "robustness.col.hinges": {"ky": "Эмнеге көз каранды", "ru": "От чего зависит", "en": "Hinges on"},
    "robustness.col.figure": {"ky": "Көрсөткүч", "ru": "Показатель", "en": "Figure"},
    "robustness.col.nominal": {"ky": "Негизги", "ru": "Базовый", "en": "Nominal"},
    "robustness.done": {
        "ky": "{draws} тартуу {seconds} сек ичинде", "ru": "{draws} розыгрышей за {seconds} с",
        "en": "{draws} draws in {seconds} s",
    },
    # --- app: first screen, errors, search and selection, compare, plan check (helper `app`) ---
    "view.plan": {"ky": "Планды текшерүү", "ru": "Проверка плана", "en": "Check a plan"},
    "dataset.build_hint": {
        "ky": "Бул ойдон чыгарылган демо. Кыргыз Республикасынын маалыматтарын куруу үчүн: `atr-model quickstart` (же `atr-model data build`), андан кийин бул баракты жаңылаңыз.",
        "ru": "Это вымышленное демо. Чтобы собрать данные Кыргызской Республики: `atr-model quickstart` (или `atr-model data build`), затем обновите страницу.",
        "en": "This is the fictional demo. To build the Kyrgyz Republic's dataset run `atr-model quickstart` (or `atr-model data build`), then reload this page.",
    },
    "run.failed": {"ky": "Сценарий иштебей калды", "ru": "Сценарий не удалось рассчитать", "en": "The scenario run failed"},
    "error.details": {"ky": "Толугураак", "ru": "Подробности", "en": "Details"},
    "first.hint": {
        "ky": "Азыркы бирдиктер көрсөтүлдү. «{name}» сценарийинин жыйынтыгын көрүү үчүн баскычты басыңыз.",
        "ru": "Показаны текущие единицы. Нажмите кнопку, чтобы увидеть результат сценария «{name}».",
        "en": "These are the current units. Press the button to see the result of the scenario “{name}”.",
    },
    "first.run": {"ky": "«{name}» жыйынтыгын көрсөтүү", "ru": "Показать результат «{name}»", "en": "Show the result of “{name}”"},
    "search.label": {"ky": "Бирдикти издөө", "ru": "Найти единицу", "en": "Find a unit"},
    "search.placeholder": {"ky": "аталышы же коду", "ru": "название или код", "en": "name or code"},
    "search.none": {"ky": "«{query}» боюнча бирдик табылган жок.", "ru": "Единиц по запросу «{query}» нет.", "en": "No unit matches “{query}”."},
    "search.pick": {"ky": "Табылды: {n}", "ru": "Найдено: {n}", "en": "Matches: {n}"},
    "select.title": {"ky": "Тандалган бирдик", "ru": "Выбранная единица", "en": "Selected unit"},
    "select.hint": {
        "ky": "Картадагы бирдикти басыңыз (же издеңиз): анын паспорту жана бекитүүлөрү ушул жерде чыгат.",
        "ru": "Нажмите на единицу на карте (или найдите её): здесь появятся её паспорт и закрепления.",
        "en": "Click a unit on the map (or find it): its passport and locks appear here.",
    },
    "select.lock": {"ky": "Бекитүү", "ru": "Закрепление", "en": "Lock"},
    "select.add": {"ky": "Бекитүүнү кошуу", "ru": "Добавить закрепление", "en": "Add lock"},
    "select.edits": {"ky": "Оңдоолор ({n})", "ru": "Правки ({n})", "en": "Edits ({n})"},
    "field.travel_to_centre": {"ky": "Борборго чейин (мүн.)", "ru": "До центра (мин)", "en": "To the centre (min)"},
    "compare.synced": {
        "ky": "Эки карта бирге жылат: бирин жылдырсаңыз же чоңойтсоңуз, экинчиси да ошондой болот.",
        "ru": "Карты связаны: сдвиг или масштаб одной повторяет другая.",
        "en": "The two maps move together: pan or zoom one and the other follows.",
    },
    "compare.table_help": {
        "ky": "Көрсөткүчтүн аныктамасын көрүү үчүн анын аталышына курсорду алып барыңыз. ≈ — баалоо.",
        "ru": "Наведите курсор на название показателя, чтобы увидеть его определение. ≈ — оценка.",
        "en": "Hover over a figure's name to see its definition. ≈ marks an estimate.",
    },
    "plan.title": {"ky": "Алып келген планды текшерүү", "ru": "Проверка принесённого плана", "en": "Check a plan you bring"},
    "plan.help": {
        "ky": "`unit_code,new_unit_id` мамычалары бар CSV файлын жүктөңүз (ар бир бирдикке бир сап). План «{scenario}» сценарийинин критерийлери менен көз карандысыз текшерүүчү аркылуу текшерилет жана ошол эле сценарийдин оптимуму менен салыштырылат.",
        "ru": "Загрузите CSV со столбцами `unit_code,new_unit_id` (строка на каждую единицу). План проверяется независимым контролёром по критериям сценария «{scenario}» и сравнивается с оптимумом того же сценария.",
        "en": "Upload a CSV with columns `unit_code,new_unit_id` (one row per unit). The plan is checked by the independent checker against the criteria of the scenario “{scenario}” and set beside that scenario's optimum.",
    },
    "plan.upload": {"ky": "План (CSV)", "ru": "План (CSV)", "en": "Plan (CSV)"},
    "plan.checking": {"ky": "План текшерилүүдө...", "ru": "Проверка плана...", "en": "Checking the plan..."},
    "plan.optimum_running": {"ky": "Оптимум эсептелүүдө...", "ru": "Расчёт оптимума...", "en": "Solving the optimum..."},
    "plan.valid": {
        "ky": "{name}: план сценарийдин бардык критерийлерине жооп берет.",
        "ru": "{name}: план соблюдает все критерии сценария.",
        "en": "{name}: the plan honours every criterion of the scenario.",
    },
    "plan.invalid": {
        "ky": "{name}: {hard} катуу жана {soft} жумшак бузуу.",
        "ru": "{name}: нарушений жёстких критериев — {hard}, мягких — {soft}.",
        "en": "{name}: {hard} hard and {soft} soft violation(s).",
    },
    "plan.violations": {"ky": "Бузуулар", "ru": "Нарушения", "en": "Violations"},
    "plan.constraint": {"ky": "Критерий", "ru": "Критерий", "en": "Criterion"},
    "plan.hard": {"ky": "Түрү", "ru": "Вид", "en": "Kind"},
    "plan.hard_yes": {"ky": "катуу", "ru": "жёсткий", "en": "hard"},
    "plan.hard_no": {"ky": "жумшак", "ru": "мягкий", "en": "soft"},
    "plan.units": {"ky": "Бирдиктер", "ru": "Единицы", "en": "Units"},
    "plan.message": {"ky": "Түшүндүрмө", "ru": "Пояснение", "en": "Explanation"},
    "plan.cost": {"ky": "Пландын наркы", "ru": "Стоимость плана", "en": "Cost of the plan"},
    "plan.cost_help": {
        "ky": "Оптималдаштыргыч эсептегендей: калкка салмакталган жол наркы, ар бир жаңы бирдиктин наркы жана жумшак критерийлердин айыптары.",
        "ru": "Как считает оптимизатор: взвешенная по населению стоимость проезда, стоимость каждой новой единицы и штрафы мягких критериев.",
        "en": "As the optimiser counts it: population-weighted travel cost, the cost per new unit and the penalties of soft criteria.",
    },
    "plan.optimum": {"ky": "Оптимум", "ru": "Оптимум", "en": "Optimum"},
    "plan.gap": {"ky": "Оптимумдан ашыгы", "ru": "Выше оптимума на", "en": "Above the optimum"},
    "plan.gap_help": {
        "ky": "Пландын наркы ошол эле критерийлер боюнча эң жакшы пландан канча пайызга жогору.",
        "ru": "На сколько процентов стоимость плана выше лучшего плана при тех же критериях.",
        "en": "How far the plan's cost is above the best plan under the same criteria, in per cent.",
    },
    "kpidef.units_before": {
        "ky": "Реформага чейинки жергиликтүү бирдиктердин саны.",
        "ru": "Число местных единиц до реформы.",
        "en": "Number of local units before the reform.",
    },
    "kpidef.units_after": {
        "ky": "Пландагы жаңы бирдиктердин саны (өзгөрүүсүз калгандарды кошо).",
        "ru": "Число новых единиц в плане (включая оставшиеся без изменений).",
        "en": "Number of new units in the plan (units kept as they are included).",
    },
    "kpidef.below_floor_before_non_exempt": {
        "ky": "Реформага чейин калкы босогодон аз жана босогодон бошотулбаган бирдиктер.",
        "ru": "Единицы до реформы с населением ниже порога, не освобождённые от него.",
        "en": "Units before the reform with fewer people than the floor that are not exempt from it.",
    },
    "kpidef.below_floor_after_non_exempt": {
        "ky": "Калкы босогодон аз жана жок дегенде бир бошотулбаган бирдиги бар жаңы бирдиктер. Бошотулган бирдиктер (бийик тоолуу, чек ара, алыскы) Концепция боюнча кичине бойдон калышы мүмкүн, ошондуктан алар эсептелбейт.",
        "ru": "Новые единицы с населением ниже порога, в которых есть хотя бы одна не освобождённая единица. Освобождённые (высокогорные, приграничные, отдалённые) по Концепции могут оставаться малыми и не считаются.",
        "en": "New units with fewer people than the floor that hold at least one unit not exempt from it. Exempt units (high-mountain, border, remote) may stay small under the Concept, so they are not counted.",
    },
    "kpidef.population_weighted_mean_travel_min": {
        "ky": "Калктуу конуштардан жаңы борборго чейинки орточо жол убактысы, калкка салмакталган (моделдик баалоо).",
        "ru": "Среднее время в пути от населённых пунктов до нового центра, взвешенное по населению (модельная оценка).",
        "en": "Mean travel time from settlements to their new centre, weighted by population (a modelled estimate).",
    },
    "kpidef.worst_travel_min": {
        "ky": "Кайсы бир конуштан анын жаңы борборуна чейинки эң узак жол убактысы (моделдик баалоо).",
        "ru": "Наибольшее время в пути от населённого пункта до его нового центра (модельная оценка).",
        "en": "Longest travel time from any settlement to its new centre (a modelled estimate).",
    },
    "kpidef.new_unit_population.*": {
        "ky": "Жаңы бирдиктердин калкынын эң азы, медианасы жана эң көбү.",
        "ru": "Наименьшее, медианное и наибольшее население новых единиц.",
        "en": "Smallest, median and largest population of the new units.",
    },
    "kpidef.merged_units": {
        "ky": "Башка бирдикке кошулган (борбор болбогон) бирдиктер.",
        "ru": "Единицы, присоединённые к другой (не ставшие центром).",
        "en": "Units joined to another unit (not the centre of their new unit).",
    },
    "kpidef.exempt_units": {
        "ky": "Калк босогосунан бошотулган бирдиктер (Концепциянын эрежелери боюнча).",
        "ru": "Единицы, освобождённые от порога численности (по правилам Концепции).",
        "en": "Units exempt from the population floor (under the Concept's rules).",
    },
    "kpidef.settlements_without_route_to_centre": {
        "ky": "Жаңы борборуна жол табылбаган конуштар.",
        "ru": "Населённые пункты без найденного пути к новому центру.",
        "en": "Settlements with no route found to their new centre.",
    },
    "kpidef.solver.objective": {
        "ky": "Оптималдаштыргычтын максат функциясы: жол наркы, жаңы бирдиктердин наркы жана айыптар (азыраак — жакшыраак).",
        "ru": "Целевая функция оптимизатора: стоимость проезда, стоимость новых единиц и штрафы (меньше — лучше).",
        "en": "The optimiser's objective: travel cost, cost of new units and penalties (lower is better).",
    },
    "kpidef.estimated_share.*": {
        "ky": "Бул көрсөткүчтүн баалоого таянган үлүшү (0–1).",
        "ru": "Доля этого показателя, основанная на оценках (0–1).",
        "en": "Share of this figure that rests on estimates (0 to 1).",
    },
    "kpidef.admin_savings.*": {
        "ky": "Чыгымдар моделинен баалоо (жоюлган айыл өкмөтүлөр, штаттар, үнөм).",
        "ru": "Оценка по модели затрат (упразднённые айыл окмоту, штаты, экономия).",
        "en": "Estimate from the cost model (offices abolished, staff, savings).",
    },
    "kpidef.exempt_by_reason.*": {
        "ky": "Бошотуу себеби боюнча бирдиктердин саны.",
        "ru": "Число единиц-исключений по причине освобождения.",
        "en": "Number of exempt units by the reason for the exemption.",
    },
    "kpidef.status_counts.*": {
        "ky": "Жыйынтыктагы абалы боюнча бирдиктердин саны.",
        "ru": "Число единиц по статусу в результате.",
        "en": "Number of units by their status in the result.",
    },
    "kpidef.soft_violations.*": {
        "ky": "Сценарий уруксат берген жумшак критерийлердин бузулушу.",
        "ru": "Нарушения мягких критериев, допускаемые сценарием.",
        "en": "Shortfalls of soft criteria that the scenario allows.",
    },
    "kpidef.aiyl_aimak_units_after": {
        "ky": "Борбору айыл аймакта (шаарда эмес) болгон жаңы бирдиктер.",
        "ru": "Новые единицы с центром в айылном аймаке (не в городе).",
        "en": "New units centred on an aiyl aimak (not a town).",
    },
    "kpidef.worst_travel_min_in_merged_units": {
        "ky": "Бириктирилген бирдиктердеги эң узак жол убактысы (моделдик баалоо).",
        "ru": "Наибольшее время в пути в объединённых единицах (модельная оценка).",
        "en": "Longest travel time within merged new units (a modelled estimate).",
    },
}


#: KPI names (``kpis.json`` keys, dotted for nested ones) -> label keys.
KPI_LABELS: dict[str, str] = {
    "units_before": "kpi.units_before",
    "units_after": "kpi.units_after",
    "below_floor_before": "kpi.below_floor_before",
    "below_floor_after": "kpi.below_floor",
    "population_weighted_mean_travel_min": "kpi.mean_travel",
    "worst_travel_min": "kpi.worst_travel",
    "new_unit_population.min": "kpi.pop_min",
    "new_unit_population.median": "kpi.pop_median",
    "new_unit_population.max": "kpi.pop_max",
    "below_floor_before_non_exempt": "kpi.below_floor_ne_before",
    "below_floor_after_non_exempt": "kpi.below_floor_ne",
    "merged_units": "kpi.merged_units",
    "exempt_units": "kpi.exempt_units",
    "towns": "kpi.towns",
    "settlements_without_route_to_centre": "kpi.no_route",
    "admin_savings.abolished_offices": "kpi.abolished_offices",
    "admin_savings.staff_positions_saved": "kpi.staff_saved",
    "admin_savings.annual_saving_som": "kpi.annual_saving",
    "admin_savings.one_off_cost_som": "kpi.one_off_cost",
    "admin_savings.payback_years": "kpi.payback",
    "solver.objective": "kpi.objective",
    "solver.seconds": "kpi.seconds",
}

#: KPIs resting on assumptions (the extras' cost model): their labels carry the ≈ mark.
ESTIMATED_KPIS = ("admin_savings.",)


def kpi_label(name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Readable label of a KPI name; unknown names are shown as they are.

    KPIs that rest on assumptions (estimated savings) are marked "≈ ... (estimate)".
    """
    key = KPI_LABELS.get(name)
    label = t(key, lang) if key else name
    if name.startswith(ESTIMATED_KPIS):
        label = f"≈ {label} ({t('estimate.suffix', lang)})"
    return label


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: Any) -> str:
    """Return the label ``key`` in language ``lang``, formatted with ``values``.

    Parameters
    ----------
    key
        A key of :data:`STRINGS`.
    lang
        A key of :data:`LANGUAGES`; unknown languages fall back to English.
    **values
        Placeholders to fill (``{n}``, ``{seconds}``...).

    Returns
    -------
    str
        The text; an unknown key returns the key itself so a missing label shows up on the
        page instead of breaking it.
    """
    texts = STRINGS.get(key)
    if texts is None:
        return key
    text = texts.get(lang) or texts[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


def name_columns(lang: str) -> tuple[str, ...]:
    """Name columns to try for ``lang``, most preferred first."""
    order = {"ky": ("name_ky", "name_ru", "name_en"), "ru": ("name_ru", "name_ky", "name_en")}
    return order.get(lang, ("name_en", "name_ky", "name_ru"))


def _name_value(row: Mapping[str, Any], column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) and value.strip() else ""


def display_name(row: Mapping[str, Any], lang: str, *, code_column: str = "unit_code") -> str:
    """Name of a unit, settlement, raion or oblast in ``lang``'s script from its data row.

    Kyrgyz and Russian use the row's Cyrillic names (the other language's as a fallback).
    English uses ``name_en``; where the data has only Cyrillic names, the name is
    transliterated with :func:`atr_model.data.translit.latin_unit_name` (say so with
    :func:`translit_note`), so one table never mixes scripts. Without any name, the code in
    ``code_column`` is shown.
    """
    for column in name_columns(lang):
        value = _name_value(row, column)
        if not value:
            continue
        if lang in ("ky", "ru") or not is_cyrillic(value):
            return value
        return latin_unit_name(value)
    code = row.get(code_column)
    return "" if code is None else str(code)


def is_transliterated(row: Mapping[str, Any], lang: str) -> bool:
    """Whether :func:`display_name` transliterates this row's name for ``lang``."""
    if lang in ("ky", "ru"):
        return False
    for column in name_columns(lang):
        value = _name_value(row, column)
        if value:
            return is_cyrillic(value)
    return False


def translit_note(rows: Iterable[Mapping[str, Any]] | int, lang: str) -> str:
    """The footnote "names transliterated from Cyrillic" when any of ``rows`` needs it, else "".

    ``rows`` are data rows with name columns, or the number of transliterated names.
    """
    if lang in ("ky", "ru"):
        return ""
    n = rows if isinstance(rows, int) else sum(1 for row in rows if is_transliterated(row, lang))
    return t("names.transliterated", lang, n=n) if n else ""


def format_number(value: Any, lang: str = DEFAULT_LANGUAGE, *, is_estimate: bool = False, digits: int = 0) -> str:
    """Format a figure with thousands separators, marking estimates visibly.

    Examples
    --------
    >>> format_number(4200, "en", is_estimate=True)
    '≈ 4,200 (estimate)'
    >>> format_number(float("nan"))
    '–'
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "–"
    if math.isnan(number):
        return "–"
    if math.isinf(number):
        return "∞"
    text = f"{number:,.{digits}f}"
    if lang in ("ru", "ky"):
        text = text.replace(",", "\u00a0").replace(".", ",")
    if is_estimate:
        return f"≈ {text} ({t('estimate.suffix', lang)})"
    return text


def format_minutes(value: Any, lang: str = DEFAULT_LANGUAGE, *, is_modelled: bool = False) -> str:
    """Format a travel time in minutes; modelled (not road-based) times get the ≈ mark."""
    return format_number(value, lang, is_estimate=is_modelled, digits=0)


def status_label(status: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Readable label of a result status (``kept``, ``merged``...)."""
    key = f"status.{status}"
    return t(key, lang) if key in STRINGS else status


# ---------------------------------------------------------------------------------------------
# Criteria editor: one label (``crit.<path>``) and one help text (``crit.<path>.help``) per
# field of :class:`~atr_model.criteria.Criteria`, the same for the solver options
# (``solver.<name>``), and the shown values of choice fields (``opt.<field>.<value>``).

_CRITERIA_STRINGS: dict[str, dict[str, str]] = {
    "crit.population_floor": {"ky": "Калктын босогосу (адам)", "ru": "Порог численности населения (чел.)", "en": "Population floor (people)"},
    "crit.population_floor.help": {
        "ky": "2-критерий. Демейки 5000: Концепция калкы 5000 адамга чейинки айылдык аймактарды бириктирет. 0 босогону өчүрөт.",
        "ru": "Критерий 2. По умолчанию 5000: Концепция объединяет айылные аймаки с населением до 5000 человек. 0 отключает порог.",
        "en": "Criterion 2. Default 5000: the Concept merges aiyl aimaks with a population of up to 5,000. 0 switches the floor off.",
    },
    "crit.floor_mode": {"ky": "Босогонун катуулугу", "ru": "Режим порога", "en": "Floor mode"},
    "crit.floor_mode.help": {
        "ky": "2-критерий. «Жумшак»: босогого жете албаган бирдик калат жана отчётто көрсөтүлөт; «катуу»: эсептөө токтойт.",
        "ru": "Критерий 2. «Мягкий»: единица, не достигающая порога, остаётся и попадает в отчёт; «жёсткий»: расчёт прерывается.",
        "en": "Criterion 2. 'Soft': a unit that cannot reach the floor stays below it and is reported; 'hard': the run fails instead.",
    },
    "crit.population_cap": {"ky": "Калктын жогорку чеги (адам)", "ru": "Верхний предел населения (чел.)", "en": "Population cap (people)"},
    "crit.population_cap.help": {
        "ky": "4-критерий. Демейки жок. Калк тилкесинин жогорку чеги.",
        "ru": "Критерий 4. По умолчанию нет. Верхняя граница диапазона населения.",
        "en": "Criterion 4. Default none. Upper end of a population band.",
    },
    "crit.cap_mode": {"ky": "Жогорку чектин катуулугу", "ru": "Режим верхнего предела", "en": "Cap mode"},
    "crit.cap_mode.help": {
        "ky": "Демейки «жумшак», босогодогудай.",
        "ru": "По умолчанию «мягкий», как для порога.",
        "en": "Default 'soft', as for the floor mode.",
    },
    "crit.exemptions": {"ky": "Босогодон бошотуулар", "ru": "Исключения из порога", "en": "Exemptions from the floor"},
    "crit.exemptions.help": {
        "ky": "2-критерий: бийик тоолуу, алыскы, кыйын жетүүчү жана чек ара жанындагы бирдиктер.",
        "ru": "Критерий 2: высокогорные, отдалённые, труднодоступные и приграничные единицы.",
        "en": "Criterion 2: high-mountain, remote, hard-to-reach and border units.",
    },
    "crit.exemptions.high_mountain_m": {"ky": "Бийик тоолуу: бийиктик (м)", "ru": "Высокогорье: высота (м)", "en": "High mountain: altitude (m)"},
    "crit.exemptions.high_mountain_m.help": {
        "ky": "Демейки 2000 м. Бийиктиги мындан жогору болгон бирдик бийик тоолуу. Концепция бийиктикти белгилебейт: бул аналитикалык божомол.",
        "ru": "По умолчанию 2000 м. Единица выше этой отметки считается высокогорной. Концепция высоту не задаёт: это аналитическое допущение.",
        "en": "Default 2000 m. A unit above this altitude is high-mountain. The Concept sets no altitude: an analytical assumption.",
    },
    "crit.exemptions.high_mountain_basis": {"ky": "Бийиктик эмне боюнча", "ru": "Чья высота", "en": "Altitude of"},
    "crit.exemptions.high_mountain_basis.help": {
        "ky": "Борбордун бийиктиги, эң бийик айылдын бийиктиги же алардын бирөө.",
        "ru": "Высота центра, самого высокого села или любого из них.",
        "en": "The centre's altitude, the highest village's, or either.",
    },
    "crit.exemptions.remote_travel_time_min": {"ky": "Алыскы: райондук борборго жол (мүн.)", "ru": "Отдалённость: путь до райцентра (мин)", "en": "Remote: travel to the raion centre (min)"},
    "crit.exemptions.remote_travel_time_min.help": {
        "ky": "Демейки 120 мүн. Райондук борборго жол мындан узак болсо, бирдик алыскы. Божомол: бир тарапка эки саат.",
        "ru": "По умолчанию 120 мин. Единица отдалённая, если путь до райцентра дольше. Допущение: два часа в одну сторону.",
        "en": "Default 120 min. A unit is remote when travel to the raion centre takes longer. An assumption: two hours one way.",
    },
    "crit.exemptions.remote_basis": {"ky": "Жол убактысы кантип эсептелет", "ru": "Как считать время пути", "en": "Travel time measured as"},
    "crit.exemptions.remote_basis.help": {
        "ky": "Калк боюнча орточо же эң алыскы айыл.",
        "ru": "Среднее, взвешенное по населению, или самое дальнее село.",
        "en": "Population-weighted mean, or the worst village.",
    },
    "crit.exemptions.seasonal_access": {"ky": "Мезгилдик ашуу аркылуу гана жетүү", "ru": "Доступ только через сезонный перевал", "en": "Reached only over a seasonal pass"},
    "crit.exemptions.seasonal_access.help": {
        "ky": "Демейки күйгүзүлгөн: мезгилдик ашуу аркылуу гана жетүүчү бирдик кыйын жетүүчү жана бошотулат.",
        "ru": "По умолчанию включено: единица, доступная только через сезонный перевал, труднодоступна и освобождается.",
        "en": "Default on: a unit reachable only over a seasonal pass is hard-to-reach and exempt.",
    },
    "crit.exemptions.border_km": {"ky": "Чек ара жанында: аралык (км)", "ru": "Приграничье: расстояние (км)", "en": "Border: distance (km)"},
    "crit.exemptions.border_km.help": {
        "ky": "Демейки 5 км. Эң жакын айылы мамлекеттик чек арадан ушул аралыкта болсо, бирдик чек ара жанындагы (божомол).",
        "ru": "По умолчанию 5 км. Единица приграничная, если её ближайшее село в пределах этого расстояния от госграницы (допущение).",
        "en": "Default 5 km. A unit is a border unit when its nearest village lies within this distance of the state border (an assumption).",
    },
    "crit.exemptions.manual": {"ky": "Кол менен бошотулгандар", "ru": "Исключения вручную", "en": "Exempted by hand"},
    "crit.exemptions.manual.help": {
        "ky": "Демейки жок. Ар бири себеби менен.",
        "ru": "По умолчанию нет. Каждое с причиной.",
        "en": "Default none. Each with a reason.",
    },
    "crit.exemptions.mode": {"ky": "Бошотулган бирдиктер", "ru": "Что делать с исключениями", "en": "Exempt units"},
    "crit.exemptions.mode.help": {
        "ky": "«Калтыруу»: бошотулгандар өзгөрүүсүз калат; «босогосуз»: кошулушу мүмкүн, бирок босогого жетүү милдеттүү эмес.",
        "ru": "«Сохранить»: исключения остаются как есть; «без порога»: могут объединяться, но порог для них не обязателен.",
        "en": "'Keep': exempt units stay as they are; 'no floor': they may merge but need not reach the floor.",
    },
    "crit.max_travel_time_min": {"ky": "Борборго эң узак жол (мүн.)", "ru": "Макс. время до центра (мин)", "en": "Longest trip to the centre (min)"},
    "crit.max_travel_time_min.help": {
        "ky": "3 жана 5-критерийлер. Демейки 90 мүн: жаңы бирдиктин ар бир айылы борборго ушул убакыттын ичинде жетиши керек (божомол).",
        "ru": "Критерии 3 и 5. По умолчанию 90 мин: каждое село новой единицы должно доезжать до центра за это время (допущение).",
        "en": "Criteria 3 and 5. Default 90 min: every village of a new unit must reach its centre within this (an assumption).",
    },
    "crit.economic_base": {"ky": "Экономикалык база", "ru": "Экономическая база", "en": "Economic base"},
    "crit.economic_base.help": {
        "ky": "6-критерий, маалымат топтомунун көрсөткүчтөрүнөн.",
        "ru": "Критерий 6, по показателям набора данных.",
        "en": "Criterion 6, from the dataset's indicators.",
    },
    "crit.economic_base.indicator": {"ky": "Көрсөткүч", "ru": "Показатель", "en": "Indicator"},
    "crit.economic_base.indicator.help": {
        "ky": "Демейки жок (критерий өчүк). Көрсөткүчтүн аталышы.",
        "ru": "По умолчанию нет (критерий выключен). Название показателя.",
        "en": "Default none (criterion off). The indicator's name.",
    },
    "crit.economic_base.floor": {"ky": "Жаңы бирдиктин эң аз суммасы", "ru": "Минимальная сумма новой единицы", "en": "Least total of a new unit"},
    "crit.economic_base.floor.help": {
        "ky": "Демейки жок. Жаңы бирдиктин көрсөткүчтөрүнүн суммасы ушуга жетиши керек.",
        "ru": "По умолчанию нет. Сумма показателя новой единицы должна достигать этого значения.",
        "en": "Default none. The new unit's summed indicator must reach this.",
    },
    "crit.economic_base.centre_min": {"ky": "Борбордун эң аз мааниси", "ru": "Минимум для центра", "en": "Least value of a centre"},
    "crit.economic_base.centre_min.help": {
        "ky": "Демейки жок. Борбордун өз көрсөткүчү ушундан кем болбошу керек.",
        "ru": "По умолчанию нет. Собственный показатель центра не ниже этого.",
        "en": "Default none. A centre's own indicator must be at least this.",
    },
    "crit.nesting": {"ky": "Чектерди сактоо", "ru": "Вложенность", "en": "Nesting"},
    "crit.nesting.help": {
        "ky": "4-критерий. «Район»: жаңы бирдиктер бир райондун ичинде калат; «облус»: район чектерин кесип өтүүгө болот; «жок»: облус чектерин да.",
        "ru": "Критерий 4. «Район»: новые единицы остаются в пределах района; «область»: можно пересекать границы районов; «нет»: и областей.",
        "en": "Criterion 4. 'Raion': new units stay inside one raion; 'oblast': raion lines may be crossed; 'none': oblast lines too.",
    },
    "crit.landscape_barriers": {"ky": "Жаратылыш тоскоолдору", "ru": "Природные барьеры", "en": "Landscape barriers"},
    "crit.landscape_barriers.help": {
        "ky": "1-критерий. Демейки күйгүзүлгөн: моделдик тоскоол аркылуу бириктирүү жок.",
        "ru": "Критерий 1. По умолчанию включено: нет объединений через смоделированный барьер.",
        "en": "Criterion 1. Default on: no merger across a modelled barrier.",
    },
    "crit.centres": {"ky": "Борборлор", "ru": "Центры", "en": "Centres"},
    "crit.centres.help": {
        "ky": "5-критерий: кайсы бирдиктер жаңы бирдиктин борбору боло алат.",
        "ru": "Критерий 5: какие единицы могут быть центром новой единицы.",
        "en": "Criterion 5: which units may host the centre of a new unit.",
    },
    "crit.centres.towns": {"ky": "Шаарлар", "ru": "Города", "en": "Towns"},
    "crit.centres.towns.help": {
        "ky": "«Борбор болот»: шаар өзгөрбөйт, бирок айыл аймактары ага кошулушу мүмкүн; «өзүнчө»: шаарлар өзүнчө калат; «кошулат»: айыл аймактары сыяктуу.",
        "ru": "«Центр»: город не поглощается, но айылные аймаки могут к нему присоединиться; «отдельно»: города остаются сами по себе; «объединять»: как айылные аймаки.",
        "en": "'Host': towns are kept but aiyl aimaks may join a town; 'keep': towns stay on their own; 'merge': towns are treated like aiyl aimaks.",
    },
    "crit.centres.min_centre_population": {"ky": "Борбордун эң аз калкы", "ru": "Мин. население центра", "en": "Least population of a centre"},
    "crit.centres.min_centre_population.help": {
        "ky": "Демейки 0. Бирдик ушунча калкы болгондо гана борбор боло алат.",
        "ru": "По умолчанию 0. Единица может быть центром только при таком населении.",
        "en": "Default 0. A unit hosts a centre only with at least this many residents.",
    },
    "crit.locks": {"ky": "Кол менен кабыл алынган чечимдер", "ru": "Решения, принятые вручную", "en": "Decisions fixed by hand"},
    "crit.locks.help": {
        "ky": "Мисалы, коомдук угуулардан кийин.",
        "ru": "Например, после общественных слушаний.",
        "en": "For example after a public hearing.",
    },
    "crit.locks.keep_separate": {"ky": "Өзүнчө калуучу бирдиктер", "ru": "Единицы, остающиеся отдельно", "en": "Units that stay on their own"},
    "crit.locks.keep_separate.help": {"ky": "Бирдиктердин коддору.", "ru": "Коды единиц.", "en": "Unit codes."},
    "crit.locks.together": {"ky": "Сөзсүз бириктирилүүчү жуптар", "ru": "Пары, объединяемые обязательно", "en": "Pairs that must merge"},
    "crit.locks.together.help": {"ky": "Коддордун жуптары.", "ru": "Пары кодов.", "en": "Pairs of unit codes."},
    "crit.locks.apart": {"ky": "Бириктирүүгө тыюу салынган жуптар", "ru": "Пары, которые нельзя объединять", "en": "Pairs that must not merge"},
    "crit.locks.apart.help": {"ky": "Коддордун жуптары.", "ru": "Пары кодов.", "en": "Pairs of unit codes."},
    "crit.objective": {"ky": "Максат", "ru": "Цель оптимизации", "en": "Objective"},
    "crit.objective.help": {
        "ky": "5-критерий. «Жол»: борборго чейинки адам-мүнөттөрдү азайтуу; «компактуулук»: калк × борборго чейинки аралыктын квадраты.",
        "ru": "Критерий 5. «Путь»: минимум человеко-минут до центров; «компактность»: население × квадрат расстояния до центра.",
        "en": "Criterion 5. 'Travel': fewest person-minutes to the centres; 'compactness': population × squared distance to the centres.",
    },
    "crit.travel_weight": {"ky": "Жол баасынын салмагы", "ru": "Вес затрат на путь", "en": "Weight of travel cost"},
    "crit.travel_weight.help": {"ky": "Демейки 1. Жол баасын көбөйтөт.", "ru": "По умолчанию 1. Множитель затрат на путь.", "en": "Default 1. Multiplies the travel cost."},
    "crit.admin_cost_per_unit": {"ky": "Бир бирдикти башкаруунун баасы", "ru": "Стоимость управления одной единицей", "en": "Cost of administering a unit"},
    "crit.admin_cost_per_unit.help": {
        "ky": "4-критерий. Демейки 0 (адам-мүнөт менен). 0дөн жогору болсо, модель башкарууну үнөмдөө үчүн босогодон тышкары да бириктирет.",
        "ru": "Критерий 4. По умолчанию 0 (в человеко-минутах). Больше 0: модель объединяет сверх порога, если это экономит администрации.",
        "en": "Criterion 4. Default 0 (in person-minutes). Above 0 the model merges beyond the floor when it saves administrations.",
    },
    "crit.slack_penalty_per_person": {"ky": "Босогого жетпеген ар бир адам үчүн айып", "ru": "Штраф за каждого недостающего жителя", "en": "Penalty per resident missing from the floor"},
    "crit.slack_penalty_per_person.help": {
        "ky": "Демейки 1000 (жумшак режимде).",
        "ru": "По умолчанию 1000 (в мягком режиме).",
        "en": "Default 1000 (soft mode).",
    },
    "crit.n_units": {"ky": "Жаңы бирдиктердин саны", "ru": "Число новых единиц", "en": "Number of new units"},
    "crit.n_units.help": {
        "ky": "4-критерий. Демейки жок. Бардыгы же топ боюнча.",
        "ru": "Критерий 4. По умолчанию нет. Всего или по группам.",
        "en": "Criterion 4. Default none. In total or per group.",
    },
    "crit.n_units_counts": {"ky": "Сан эмнени эсептейт", "ru": "Что считает число", "en": "The number counts"},
    "crit.n_units_counts.help": {
        "ky": "«Баары»: шаарлар менен бардык жаңы бирдиктер; «айыл аймактары»: айыл аймактарынан түзүлгөндөр гана (2024-25-реформадагыдай).",
        "ru": "«Все»: все новые единицы, включая города; «айылные аймаки»: только составленные из айылных аймаков (как в реформе 2024-25).",
        "en": "'All': every new unit, towns included; 'aiyl aimaks': only new units made of aiyl aimaks (as in the 2024-25 reform).",
    },
    "solver.name": {"ky": "Чечүүчү программа", "ru": "Программа-решатель", "en": "Solver program"},
    "solver.name.help": {"ky": "Демейки HiGHS.", "ru": "По умолчанию HiGHS.", "en": "Default HiGHS."},
    "solver.time_limit_s": {"ky": "Убакыт чеги (с)", "ru": "Лимит времени (с)", "en": "Time limit (s)"},
    "solver.time_limit_s.help": {"ky": "Демейки 60 с бир чечүүгө.", "ru": "По умолчанию 60 с на решение.", "en": "Default 60 s per solve."},
    "solver.gap_rel": {"ky": "Уруксат берилген ажырым", "ru": "Допустимый разрыв", "en": "Allowed gap"},
    "solver.gap_rel.help": {"ky": "Демейки 0: оптималдуулукту далилдөө.", "ru": "По умолчанию 0: доказать оптимальность.", "en": "Default 0: prove optimality."},
    "solver.threads": {"ky": "Агымдар", "ru": "Потоки", "en": "Threads"},
    "solver.threads.help": {"ky": "Демейки 1 (аныкталган натыйжа).", "ru": "По умолчанию 1 (детерминированно).", "en": "Default 1 (deterministic)."},
    "solver.contiguity": {"ky": "Бүтүндүк", "ru": "Связность", "en": "Contiguity"},
    "solver.contiguity.help": {
        "ky": "Демейки «авто»: так бүтүндүк, ыкма ар бир маселе үчүн тандалат.",
        "ru": "По умолчанию «авто»: точная связность, метод выбирается для каждой задачи.",
        "en": "Default 'auto': exact contiguity, the method chosen per instance.",
    },
    "solver.warm_start": {"ky": "Эвристикалык пландан баштоо", "ru": "Старт с эвристического плана", "en": "Start from a heuristic plan"},
    "solver.warm_start.help": {
        "ky": "Демейки өчүк: күйгүзүлгөндө кээ бир топтордо эвристикалык план «оптималдуу» болуп калганы байкалган.",
        "ru": "По умолчанию выключено: с ним решатель иногда возвращал эвристический план как «оптимальный».",
        "en": "Default off: with it on, the solver was seen returning the heuristic plan as 'optimal' on some groups.",
    },
    "opt.soft": {"ky": "жумшак", "ru": "мягкий", "en": "soft"},
    "opt.hard": {"ky": "катуу", "ru": "жёсткий", "en": "hard"},
    "opt.centre": {"ky": "борбор", "ru": "центр", "en": "centre"},
    "opt.highest_settlement": {"ky": "эң бийик айыл", "ru": "самое высокое село", "en": "highest village"},
    "opt.either": {"ky": "алардын бирөө", "ru": "любой из них", "en": "either"},
    "opt.mean": {"ky": "орточо", "ru": "среднее", "en": "mean"},
    "opt.max": {"ky": "эң алыскы", "ru": "максимум", "en": "worst"},
    "opt.mode.keep": {"ky": "калтыруу", "ru": "сохранить", "en": "keep"},
    "opt.no_floor": {"ky": "босогосуз", "ru": "без порога", "en": "no floor"},
    "opt.raion": {"ky": "район", "ru": "район", "en": "raion"},
    "opt.oblast": {"ky": "облус", "ru": "область", "en": "oblast"},
    "opt.none": {"ky": "жок", "ru": "нет", "en": "none"},
    "opt.host": {"ky": "борбор болот", "ru": "центр", "en": "host"},
    "opt.towns.keep": {"ky": "өзүнчө", "ru": "отдельно", "en": "keep"},
    "opt.merge": {"ky": "кошулат", "ru": "объединять", "en": "merge"},
    "opt.travel": {"ky": "жол", "ru": "путь", "en": "travel"},
    "opt.inertia": {"ky": "компактуулук", "ru": "компактность", "en": "compactness"},
    "opt.all": {"ky": "баары", "ru": "все", "en": "all"},
    "opt.aiyl_aimak": {"ky": "айыл аймактары", "ru": "айылные аймаки", "en": "aiyl aimaks"},
    "opt.auto": {"ky": "авто", "ru": "авто", "en": "auto"},
    "opt.cuts": {"ky": "кесүүлөр", "ru": "отсечения", "en": "cuts"},
    "opt.flow": {"ky": "агым", "ru": "поток", "en": "flow"},
    "crit.yaml_hint": {
        "ky": "YAML, мисалы [a, b] же {код: себеп}",
        "ru": "YAML, например [a, b] или {код: причина}",
        "en": "YAML, e.g. [a, b] or {code: reason}",
    },
    "crit.bad_yaml": {"ky": "туура эмес YAML ({text})", "ru": "неверный YAML ({text})", "en": "not valid YAML ({text})"},
    "concept.english": {"ky": "Англисче", "ru": "По-английски", "en": "English"},
    "concept.original_only": {
        "ky": "түп нускасы",
        "ru": "официальный текст на кыргызском языке",
        "en": "original",
    },
    "names.transliterated": {
        "ky": "Аталыштар кириллицадан которулган ({n}).",
        "ru": "Названия транслитерированы с кириллицы ({n}).",
        "en": "{n} names with no English spelling in the data are transliterated from Cyrillic (BGN/PCGN-based table).",
    },
}
STRINGS.update(_CRITERIA_STRINGS)


def field_label(path: str, lang: str = DEFAULT_LANGUAGE, fallback: str = "") -> str:
    """Label of a criteria or solver field (``crit.exemptions.border_km``); ``fallback`` if none."""
    return t(path, lang) if path in STRINGS else (fallback or path.rsplit(".", 1)[-1].replace("_", " ").capitalize())


def field_help(path: str, lang: str = DEFAULT_LANGUAGE, fallback: str | None = None) -> str | None:
    """Help text of a criteria or solver field; ``fallback`` (the English description) if none."""
    key = f"{path}.help"
    return t(key, lang) if key in STRINGS else fallback


def option_label(field: str, value: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """Shown text of a choice value of field ``field`` (``opt.<field>.<value>``, then ``opt.<value>``)."""
    if value is None:
        return t("sidebar.none", lang)
    for key in (f"opt.{field}.{value}", f"opt.{value}"):
        if key in STRINGS:
            return t(key, lang)
    return str(value)


def localized(item: Any, field: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A text field of a scenario (or its mapping) in ``lang``: ``title_ky`` for ``title`` in
    Kyrgyz, ``title_ru`` in Russian, the plain field in English and as the fallback."""
    def get(name: str) -> str:
        value = item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
        return value.strip() if isinstance(value, str) else ""

    return (get(f"{field}_{lang}") if lang in ("ky", "ru") else "") or get(field)


# ---------------------------------------------------------------------------------------------
# Texts that come from the data and the run in English: the dataset's name, the travel
# model's label and the per-unit estimate notes. Each known form has a catalogue key.

_DATA_STRINGS: dict[str, dict[str, str]] = {
    "dataset.kyrgyz": {
        "ky": "Кыргыз Республикасы (ачык маалыматтар, болжол менен 2021)",
        "ru": "Кыргызская Республика (открытые данные, около 2021 г.)",
        "en": "Kyrgyz Republic (open data, about 2021)",
    },
    "dataset.kyrgyz_build": {
        "ky": "Кыргыз Республикасы (ачык маалыматтардан куруу, ~2 мүн.)",
        "ru": "Кыргызская Республика (сборка из открытых данных, ~2 мин)",
        "en": "Kyrgyz Republic (build from open data, ~2 min)",
    },
    "travel.modelled": {
        "ky": "моделдик: жол маалыматы жок",
        "ru": "модельная: нет данных о дорогах",
        "en": "modelled: no road data",
    },
    "travel.roads": {"ky": "жолдор: {file}", "ru": "дороги: {file}", "en": "roads: {file}"},
    "travel.no_elevation": {
        "ky": "бийиктик маалыматы жок: рельеф айыптары жана мезгилдик ашуулар жок",
        "ru": "нет данных о высотах: без штрафов за рельеф и сезонных перевалов",
        "en": "no elevation data: no terrain penalties or seasonal passes",
    },
    "estimate.population": {"ky": "калкы (баалоо)", "ru": "население (оценка)", "en": "population (estimate)"},
    "estimate.village_population": {
        "ky": "айылдардын калкы ({n} баалоо)",
        "ru": "население сёл ({n} оценочных)",
        "en": "village populations ({n} estimated)",
    },
    "estimate.village_location": {
        "ky": "айылдардын жайгашуусу ({n} болжолдуу)",
        "ru": "местоположение сёл ({n} условных)",
        "en": "village locations ({n} stand-ins)",
    },
    "estimate.territory": {"ky": "аймагы (болжолдуу)", "ru": "территория (приблизительная)", "en": "territory (approximate)"},
    "estimate.travel": {
        "ky": "жол убактысы (моделдик: жол маалыматы жок)",
        "ru": "время в пути (модельное: нет данных о дорогах)",
        "en": "travel times (modelled: no road data)",
    },
    "estimate.own_route": {
        "ky": "өз борборуна жол (толук эмес каттамдар)",
        "ru": "путь до своего центра (неполные маршруты)",
        "en": "travel to own centre (incomplete routes)",
    },
}
STRINGS.update(_DATA_STRINGS)

#: Dataset ``kind`` (metadata) -> catalogue key of its name.
_DATASET_KINDS = {"demo": "dataset.demo", "kyrgyzstan-open-data": "dataset.kyrgyz"}

def dataset_label(name: str, kind: str = "", lang: str = DEFAULT_LANGUAGE) -> str:
    """The dataset's name in ``lang``: known kinds (demo, the Kyrgyz build) are translated,
    a raion subset keeps its suffix ("— 41702"), any other name is shown as it is."""
    key = _DATASET_KINDS.get(str(kind))
    if key is None:
        return name
    suffix = ""
    if " — " in str(name):
        suffix = " — " + str(name).split(" — ", 1)[1]
    return t(key, lang) + suffix


def travel_model_label(label: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The travel model's label (``provenance.json`` ``travel_model``) in ``lang``.

    Known forms are "modelled: no road data" and "roads: FILE", optionally followed by
    "(no elevation data: ...)"; the estimate prefix (≈) is kept; anything else is unchanged.
    """
    import re

    text = str(label or "")
    prefix = ""
    match = re.match(r"^(\W*?)\s*(?=[a-z])", text)
    if match and match.group(1):
        prefix, text = match.group(1) + " ", text[match.end():]
    if text.startswith("estimate: "):  # the data contract's estimate prefix
        prefix, text = f"{prefix}{t('estimate.suffix', lang)}: ", text[len("estimate: "):]
    tail = ""
    if text.endswith("(no elevation data: no terrain penalties or seasonal passes)"):
        text = text[: text.rindex("(")].strip()
        tail = f" ({t('travel.no_elevation', lang)})"
    if text == "modelled: no road data":
        return prefix + t("travel.modelled", lang) + tail
    if text.startswith("roads: "):
        return prefix + t("travel.roads", lang, file=text[len("roads: "):]) + tail
    return str(label or "")


#: The forms of a unit's ``estimated_inputs`` note (scenarios/instance_builder.py) -> catalogue keys.
_ESTIMATE_FORMS = (
    (re.compile(r"^population \(estimate\)$"), "estimate.population"),
    (re.compile(r"^village populations \((\d+) estimated\)$"), "estimate.village_population"),
    (re.compile(r"^village locations \((\d+) stand-ins\)$"), "estimate.village_location"),
    (re.compile(r"^territory \(approximate\)$"), "estimate.territory"),
    (re.compile(r"^travel times \(modelled: no road data\)$"), "estimate.travel"),
    (re.compile(r"^travel to own centre \(incomplete routes\)$"), "estimate.own_route"),
)


def estimate_note(text: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A unit's ``estimated_inputs`` note ("population (estimate); travel times (...)") in ``lang``.

    Known parts are translated; an unknown part is kept as it is.
    """
    forms = _ESTIMATE_FORMS
    out = []
    for part in (p.strip() for p in str(text or "").split(";")):
        if not part:
            continue
        for pattern, key in forms:
            match = pattern.match(part)
            if match:
                out.append(t(key, lang, n=match.group(1)) if match.groups() else t(key, lang))
                break
        else:
            out.append(part)
    return "; ".join(out)


# ---------------------------------------------------------------------------------------------
# The HTML report and the Council summary (``report.*``, ``summary.*``).

_REPORT_STRINGS: dict[str, dict[str, str]] = {
    "report.title": {"ky": "atr-model отчёту: {title}", "ru": "Отчёт atr-model: {title}", "en": "atr-model report: {title}"},
    "report.demo_banner": {
        "ky": "<b>Демо маалыматтар.</b> Бул эсептөө ойдон чыгарылган демо аймакты колдонот; бир да көрсөткүч чыныгы жерди сүрөттөбөйт.",
        "ru": "<b>Демо-данные.</b> Этот расчёт использует вымышленную демо-территорию; ни одна цифра не описывает реальное место.",
        "en": "<b>Demo data.</b> This run uses the fictional demo territory; no figure describes a real place.",
    },
    "report.meta": {
        "ky": "Сценарий <b>{name}</b> · маалыматтар: {dataset} · түзүлгөн {created} (UTC) · atr-model {version}",
        "ru": "Сценарий <b>{name}</b> · данные: {dataset} · создан {created} (UTC) · atr-model {version}",
        "en": "Scenario <b>{name}</b> · dataset {dataset} · created {created} (UTC) · atr-model {version}",
    },
    "report.nav.criteria": {"ky": "Критерийлер баракчасы", "ru": "Лист критериев", "en": "Criteria sheet"},
    "report.nav.kpis": {"ky": "Негизги көрсөткүчтөр", "ru": "Основные показатели", "en": "Key figures"},
    "report.nav.maps": {"ky": "Карталар", "ru": "Карты", "en": "Maps"},
    "report.nav.exempt": {
        "ky": "Бошотулган айыл аймактары жана шаарлар",
        "ru": "Айыл аймаки-исключения и города",
        "en": "Exempt aiyl aimaks and towns",
    },
    "report.nav.quality": {"ky": "Маалыматтардын сапаты", "ru": "Качество данных", "en": "Data quality"},
    "report.nav.passports": {"ky": "Паспорттор", "ru": "Паспорта", "en": "Passports"},
    "report.nav.provenance": {"ky": "Келип чыгышы", "ru": "Происхождение", "en": "Provenance"},
    "report.concept_intro": {
        "ky": "Административдик-аймактык реформа Концепциясынын III бөлүмүнүн 2.1-пунктундагы айыл аймактарын ирилештирүү критерийлери:",
        "ru": "Критерии укрупнения айылных аймаков, раздел III, п. 2.1 Концепции административно-территориальной реформы:",
        "en": "Criteria for consolidating aiyl aimaks, section III, 2.1 of the Concept of the administrative-territorial reform:",
    },
    "report.concept_ky": {"ky": "Кыргызча түп нускасы", "ru": "Оригинал на кыргызском", "en": "Kyrgyz original"},
    "report.concept_en": {"ky": "Англисче (расмий эмес котормо)", "ru": "По-английски (неофициальный перевод)", "en": "English (unofficial translation)"},
    "report.concept_missing": {
        "ky": "Концепциянын тексти бул орнотууда жок.",
        "ru": "Текст Концепции в этой установке недоступен.",
        "en": "The Concept's text is not available in this installation.",
    },
    "report.concept_source": {
        "ky": "Кыргыз Республикасынын Өкмөтүнүн 2012-жылдын 23-мартындагы №198 «Кыргыз Республикасындагы административдик-аймактык реформанын Концепциясы жөнүндө» токтому, 2013-жылдын 28-октябрындагы №581 токтомунун редакциясында; кыргызча тексти «Муниципалитет» журналынын 2013-жылдын декабрындагы №12 (25) санында (Өнүктүрүү саясат институту). Расмий ченемдик текст.",
        "ru": "Постановление Правительства Кыргызской Республики от 23 марта 2012 года № 198 «О Концепции административно-территориальной реформы в Кыргызской Республике» в редакции постановления от 28 октября 2013 года № 581; кыргызский текст по журналу «Муниципалитет» № 12 (25), декабрь 2013 (Институт политики развития). Официальный нормативный текст.",
        "en": "Government of the Kyrgyz Republic, resolution No. 198 of 23 March 2012 \"On the Concept of the administrative-territorial reform in the Kyrgyz Republic\", as revised by resolution No. 581 of 28 October 2013; Kyrgyz text as published in the journal \"Муниципалитет\" No. 12 (25), December 2013 (Development Policy Institute). Official normative text.",
    },
    "report.applies": {"ky": "Бул сценарий аларды кантип колдонот", "ru": "Как их применяет этот сценарий", "en": "How this scenario applies them"},
    "report.setting": {"ky": "жөндөө", "ru": "параметр", "en": "setting"},
    "report.value": {"ky": "мааниси", "ru": "значение", "en": "value"},
    "report.concept_criterion": {"ky": "Концепциянын критерийи", "ru": "Критерий Концепции", "en": "Concept criterion"},
    "report.indicator": {"ky": "көрсөткүч", "ru": "показатель", "en": "indicator"},
    "report.rests_on_estimates": {"ky": "баалоолорго таянат", "ru": "опирается на оценки", "en": "rests on estimates"},
    "report.yes": {"ky": "ооба", "ru": "да", "en": "yes"},
    "report.no": {"ky": "жок", "ru": "нет", "en": "no"},
    "report.kpi.units_before": {"ky": "Бирдиктер (мурун)", "ru": "Единиц до", "en": "Units before"},
    "report.kpi.units_after": {"ky": "Бирдиктер (кийин)", "ru": "Единиц после", "en": "Units after"},
    "report.kpi.below_floor_before": {
        "ky": "Калк босогосунан төмөн бирдиктер (мурун)",
        "ru": "Единиц ниже порога населения, до",
        "en": "Units below the population floor, before",
    },
    "report.kpi.below_floor_after": {
        "ky": "Босогодон төмөн жаңы бирдиктер (кийин)",
        "ru": "Новых единиц ниже порога, после",
        "en": "New units below the floor, after",
    },
    "report.kpi.mean_travel": {
        "ky": "Борборго чейинки жолдун калк боюнча орточо убактысы (мүн.)",
        "ru": "Среднее (по населению) время пути до центра (мин)",
        "en": "Population-weighted mean travel time to the centre (min)",
    },
    "report.kpi.worst_travel": {
        "ky": "Борборго эң узак жол (мүн.)",
        "ru": "Наибольшее время пути до центра (мин)",
        "en": "Worst travel time to a centre (min)",
    },
    "report.kpi.pop_min": {"ky": "Эң кичи жаңы бирдик (калкы)", "ru": "Наименьшая новая единица (население)", "en": "Smallest new unit (population)"},
    "report.kpi.pop_median": {"ky": "Медианалык жаңы бирдик (калкы)", "ru": "Медианная новая единица (население)", "en": "Median new unit (population)"},
    "report.kpi.pop_max": {"ky": "Эң чоң жаңы бирдик (калкы)", "ru": "Наибольшая новая единица (население)", "en": "Largest new unit (population)"},
    "report.kpi.below_floor_before_ne": {
        "ky": "Босогодон төмөн жана бошотулбаган бирдиктер (мурун)",
        "ru": "Единиц ниже порога и без исключения, до",
        "en": "Units below the floor and not exempt, before",
    },
    "report.kpi.below_floor_after_ne": {
        "ky": "Босогодон төмөн жана бошотулбаган жаңы бирдиктер (кийин)",
        "ru": "Новых единиц ниже порога и без исключения, после",
        "en": "New units below the floor and not exempt, after",
    },
    "report.kpi.merged": {
        "ky": "Башка бирдиктин борборуна кошулган бирдиктер",
        "ru": "Единиц, присоединённых к центру другой единицы",
        "en": "Units merged into another unit's centre",
    },
    "report.kpi.exempt": {"ky": "Бошотулган айыл аймактары", "ru": "Айыл аймаков-исключений", "en": "Exempt aiyl aimaks"},
    "report.kpi.towns": {
        "ky": "Шаарлар (өзүнчө: босого айыл аймактарына тиешелүү)",
        "ru": "Города (отдельно: порог относится к айыл аймакам)",
        "en": "Towns (kept apart: the floor applies to aiyl aimaks)",
    },
    "report.kpi.no_route": {
        "ky": "Борборуна моделдик жолу жок конуштар",
        "ru": "Населённых пунктов без модельного пути до центра",
        "en": "Settlements without a modelled route to their centre",
    },
    "report.basis.population": {
        "ky": "баалоо калкты камтыйт (калктын {pct}%)",
        "ru": "включает оценки населения ({pct}% жителей)",
        "en": "includes estimated populations ({pct}% of residents)",
    },
    "report.basis.travel": {
        "ky": "моделдик жол убактысы (жол тармагы жок)",
        "ru": "модельное время в пути (нет дорожной сети)",
        "en": "modelled travel times (no road network)",
    },
    "report.solver_line": {
        "ky": "Чечүүчү {solver}: абалы {status}, оптималдуулук далилденди: {proven}, ажырым {gap}, {seconds} с, бүтүндүк ыкмасы {method}.",
        "ru": "Решатель {solver}: статус {status}, оптимальность доказана: {proven}, разрыв {gap}, {seconds} с, метод связности {method}.",
        "en": "Solver {solver}: status {status}, proven optimal: {proven}, gap {gap}, {seconds} s, contiguity {method}.",
    },
    "report.population_of_new": {"ky": "Жаңы бирдиктердин калкы", "ru": "Население новых единиц", "en": "Population of the new units"},
    "report.residents": {"ky": "тургундар", "ru": "жителей", "en": "residents"},
    "report.new_units": {"ky": "жаңы бирдиктер", "ru": "новых единиц", "en": "new units"},
    "report.quantiles": {"ky": "Квантилдер: {text}.", "ru": "Квантили: {text}.", "en": "Quantiles: {text}."},
    "report.savings": {"ky": "Башкаруудагы үнөмдүн баалоосу", "ru": "Оценка экономии на управлении", "en": "Estimated administrative savings"},
    "report.savings.offices": {
        "ky": "Жоюлган айыл өкмөтүлөр (башка бирдикке кошулгандар)",
        "ru": "Упразднённых айыл окмоту (единицы, присоединённые к другим)",
        "en": "Aiyl okmotu offices abolished (units merged into another)",
    },
    "report.savings.staff": {"ky": "Кыскарган штаттык бирдиктер", "ru": "Сокращённых штатных единиц", "en": "Staff positions saved"},
    "report.savings.annual": {"ky": "Жылдык үнөм (сом)", "ru": "Годовая экономия (сом)", "en": "Annual saving (som)"},
    "report.savings.one_off": {"ky": "Өтүүнүн бир жолку чыгымы (сом)", "ru": "Единовременные затраты на переход (сом)", "en": "One-off transition cost (som)"},
    "report.savings.payback": {"ky": "Акталуу мөөнөтү (жыл)", "ru": "Срок окупаемости (лет)", "en": "Payback (years)"},
    "report.item": {"ky": "берене", "ru": "статья", "en": "item"},
    "report.savings_note": {
        "ky": "Өзгөртүлүүчү чыгым моделинен <span class='est'>баалоо</span>: {basis} (atr_model/data/admin_cost_model.yaml; андагы ар бир чыгым негизи менен берилген божомол).",
        "ru": "<span class='est'>Оценка</span> по редактируемой модели затрат: {basis} (atr_model/data/admin_cost_model.yaml; каждая удельная стоимость там — допущение с обоснованием).",
        "en": "<span class='est'>Estimate</span> from an editable cost model: {basis} (atr_model/data/admin_cost_model.yaml; every unit cost there is an assumption with its basis).",
    },
    "report.not_computed": {"ky": "эсептелген жок", "ru": "не рассчитано", "en": "not computed"},
    "report.no_new_units": {"ky": "Жаңы бирдиктер жок.", "ru": "Новых единиц нет.", "en": "No new units."},
    "report.map_new_units": {"ky": "Жаңы бирдиктер", "ru": "Новые единицы", "en": "New units"},
    "report.map_travel": {
        "ky": "Борборго чейинки жолдун калк боюнча орточо убактысы",
        "ru": "Среднее (по населению) время пути до центра",
        "en": "Population-weighted mean travel time to the centre",
    },
    "report.minutes": {"ky": "мүнөт", "ru": "минут", "en": "minutes"},
    "report.caption_numbered": {
        "ky": "Жаңы бирдиктер паспорттордогудай номерленген (картадагы №). Кызыл сызылган: калк босогосунан төмөн (бошотулбаган).",
        "ru": "Новые единицы пронумерованы как их паспорта (№ на карте). Красная штриховка: ниже порога населения (без исключения).",
        "en": "New units, numbered as their passports (map no.). Hatched red: below the population floor (not exempt).",
    },
    "report.caption_unnumbered": {
        "ky": "Жаңы бирдиктер ({n}): бул масштабда номерлер үчүн орун жок, паспорттор аларды коду боюнча тизмелейт. Кызыл сызылган: калк босогосунан төмөн (бошотулбаган).",
        "ru": "Новые единицы ({n}): в этом масштабе номера не помещаются, паспорта перечисляют их по коду. Красная штриховка: ниже порога населения (без исключения).",
        "en": "New units ({n}): too many to number at this scale; the passports list them by id. Hatched red: below the population floor (not exempt).",
    },
    "report.caption_travel": {
        "ky": "Айылдардан жаңы борборго чейинки жолдун калк боюнча орточо убактысы. Кызыл сызылган: бирдиктин көрсөткүчтөрү жарым-жартылай баалоолорго таянат.",
        "ru": "Среднее время пути от сёл до нового центра, взвешенное по населению. Красная штриховка: показатели единицы частично опираются на оценки.",
        "en": "Mean travel time from settlements to the new centre, weighted by population. Hatched red: the unit's figures rest partly on estimated inputs.",
    },
    "report.passports": {"ky": "Жаңы бирдиктердин паспорттору ({n})", "ru": "Паспорта новых единиц ({n})", "en": "Passports of the new units ({n})"},
    "report.map_no": {"ky": "картадагы № {n}", "ru": "№ {n} на карте", "en": "map no. {n}"},
    "report.unit": {"ky": "бирдик", "ru": "единица", "en": "unit"},
    "report.name": {"ky": "аталышы", "ru": "название", "en": "name"},
    "report.population": {"ky": "калкы", "ru": "население", "en": "population"},
    "report.travel_min": {"ky": "жол, мүн.", "ru": "путь, мин", "en": "travel min"},
    "report.decision": {"ky": "чечим", "ru": "решение", "en": "decision"},
    "report.raion": {"ky": "район", "ru": "район", "en": "raion"},
    "report.reason": {"ky": "себеби", "ru": "причина", "en": "reason"},
    "report.rule": {"ky": "эреже", "ru": "правило", "en": "rule"},
    "report.units": {"ky": "бирдиктер", "ru": "единиц", "en": "units"},
    "report.flag_below": {"ky": "калк босогосунан төмөн", "ru": "ниже порога населения", "en": "below the population floor"},
    "report.exempt_members": {
        "ky": "бошотулган айыл аймактары: {codes}",
        "ru": "айыл аймаки-исключения: {codes}",
        "en": "exempt aiyl aimaks: {codes}",
    },
    "report.town_members": {
        "ky": "шаарлар (статусун сактайт; босого айыл аймактарына тиешелүү): {codes}",
        "ru": "города (сохраняют статус; порог относится к айыл аймакам): {codes}",
        "en": "towns (keep their status; the floor applies to aiyl aimaks): {codes}",
    },
    "report.new_unit": {"ky": "жаңы бирдик", "ru": "новая единица", "en": "new unit"},
    "report.towns_title": {"ky": "Шаарлар ({n})", "ru": "Города ({n})", "en": "Towns ({n})"},
    "report.towns_note": {
        "ky": "Шаарлар айыл аймактары эмес: 2-критерийдин калк босогосу айыл аймактарына тиешелүү, "
              "ошондуктан шаарлар статусун сактайт. Алар бул жерде бошотулгандар катары эмес, өзүнчө берилет.",
        "ru": "Города не являются айыл аймаками: порог численности населения критерия 2 относится к айыл "
              "аймакам, поэтому города сохраняют свой статус. Они перечислены отдельно, а не как исключения.",
        "en": "Towns are not aiyl aimaks: the population floor of criterion 2 applies to aiyl aimaks, so towns "
              "keep their status. They are listed here apart from the exempt aiyl aimaks, not as exemptions.",
    },
    "report.fact.centre": {"ky": "Борбору", "ru": "Центр", "en": "Centre"},
    "report.fact.raion_oblast": {"ky": "Район / облус", "ru": "Район / область", "en": "Raion / oblast"},
    "report.fact.population": {"ky": "Калкы", "ru": "Население", "en": "Population"},
    "report.fact.area": {"ky": "Аянты (км²)", "ru": "Площадь (км²)", "en": "Area (km²)"},
    "report.fact.travel": {
        "ky": "Борборго жол, орточо / эң узак (мүн.)",
        "ru": "Время до центра, среднее / наибольшее (мин)",
        "en": "Travel time to centre, mean / worst (min)",
    },
    "report.fact.estimates": {"ky": "Баалоо маалыматтар", "ru": "Оценочные данные", "en": "Estimated inputs"},
    "report.exempt_title": {
        "ky": "Бошотулган айыл аймактары ({n})",
        "ru": "Айыл аймаки-исключения ({n})",
        "en": "Exempt aiyl aimaks ({n})",
    },
    "report.no_exempt": {
        "ky": "Бул сценарийде бир да бирдик калк босогосунан бошотулган эмес.",
        "ru": "В этом сценарии ни одна единица не освобождена от порога населения.",
        "en": "No aiyl aimak is exempt from the population floor in this scenario.",
    },
    "report.q.population": {
        "ky": "<span class='est'>{total} бирдиктин {n}</span> калкы баалоо (калктын {pct}%); бул сандар жана аларды камтыган ар бир жыйынды <span class='est'>мындай</span> белгиленген.",
        "ru": "Население <span class='est'>{n} из {total} единиц</span> — оценка ({pct}% населения); эти цифры и все итоги, которые их включают, отмечены <span class='est'>так</span>.",
        "en": "Population of <span class='est'>{n} of {total} units</span> is estimated ({pct}% of the population); these figures and every total that includes them are marked <span class='est'>like this</span>.",
    },
    "report.q.travel_modelled": {
        "ky": "<span class='est'>{total} бирдиктин {n}</span> жол убактысы жол тармагысыз моделденген ({model}): алар баалоо, алардын негизиндеги ар бир жол көрсөткүчү да.",
        "ru": "Время в пути <span class='est'>{n} из {total} единиц</span> смоделировано без дорожной сети ({model}): это оценки, как и все показатели пути на их основе.",
        "en": "Travel times of <span class='est'>{n} of {total} units</span> are modelled without a road network ({model}): they are estimates, and so is every travel figure built on them.",
    },
    "report.q.travel_roads": {
        "ky": "Жол убактысы жол тармагынан алынган ({model}).",
        "ru": "Время в пути рассчитано по дорожной сети ({model}).",
        "en": "Travel times come from the road network ({model}).",
    },
    "report.q.not_located": {
        "ky": "{total} конуштун {n} жайгашуусу белгисиз жана алар бирдиктин борборунда турат.",
        "ru": "{n} из {total} населённых пунктов не локализованы и стоят в центре своей единицы.",
        "en": "{n} of {total} settlements are not located and stand in at their unit's centre.",
    },
    "report.q.new_units_est": {
        "ky": "{total} жаңы бирдиктин {n} жарым-жартылай баалоо калкка таянат.",
        "ru": "{n} из {total} новых единиц частично опираются на оценки населения.",
        "en": "{n} of {total} new units rest partly on estimated population.",
    },
    "report.q.share": {
        "ky": "<b>{key}</b> баалоо маалыматтарга таянган үлүшү: <span class='est'>{pct}%</span>",
        "ru": "Доля <b>{key}</b>, опирающаяся на оценки: <span class='est'>{pct}%</span>",
        "en": "Share of <b>{key}</b> resting on estimated data: <span class='est'>{pct}%</span>",
    },
    "report.q.savings": {
        "ky": "Башкаруудагы үнөм өзгөртүлүүчү чыгым моделинен алынат; анын чыгымдары өлчөнгөн бюджеттер эмес, <span class='est'>божомолдор</span>.",
        "ru": "Экономия на управлении рассчитана по редактируемой модели затрат; её удельные затраты — <span class='est'>допущения</span>, а не измеренные бюджеты.",
        "en": "Administrative savings come from an editable cost model whose unit costs are <span class='est'>assumptions</span>, not measured budgets.",
    },
    "report.q.demo": {
        "ky": "<b>Бул отчёттогу бардык маалыматтар ойдон чыгарылган демо маалыматтар.</b>",
        "ru": "<b>Все данные в этом отчёте — вымышленные демо-данные.</b>",
        "en": "<b>All data in this report are fictional demo data.</b>",
    },
    "report.quality_title": {"ky": "Маалыматтардын сапаты жана баалоолор", "ru": "Качество данных и оценки", "en": "Data quality and estimates"},
    "rule.town": {"ky": "шаар (статусун сактайт)", "ru": "город (сохраняет статус)", "en": "town (keeps its status)"},
    "rule.high_mountain": {"ky": "бийик тоолуу", "ru": "высокогорная", "en": "high-mountain"},
    "rule.remote": {"ky": "алыскы", "ru": "отдалённая", "en": "remote"},
    "rule.hard_to_reach": {"ky": "кыйын жетүүчү (мезгилдик ашуу)", "ru": "труднодоступная (сезонный перевал)", "en": "hard to reach (seasonal pass)"},
    "rule.border": {"ky": "чек ара жанындагы", "ru": "приграничная", "en": "border"},
    "rule.manual": {"ky": "кол менен бошотулган", "ru": "исключение вручную", "en": "exempted by hand"},
    "report.decision.merged": {
        "ky": "{status}: {centre} борборуна, {minutes} мүн.",
        "ru": "{status}: к центру {centre}, {minutes} мин",
        "en": "{status}: to the centre {centre}, {minutes} min",
    },
    "report.decision.centre": {
        "ky": "{status}: {n} бирдик, {people} тургун",
        "ru": "{status}: {n} ед., {people} жителей",
        "en": "{status}: {n} units, {people} residents",
    },
    "report.decision.exempt": {"ky": "{status}: {rules}", "ru": "{status}: {rules}", "en": "{status}: {rules}"},
    "report.manual_decision": {"ky": "кол менен чечим", "ru": "решение вручную", "en": "manual decision"},
    "report.stage": {"ky": "2.2 (этап)", "ru": "2.2 (этап)", "en": "2.2 (stage)"},
    "solver_status.optimal": {"ky": "оптималдуу", "ru": "оптимум", "en": "optimal"},
    "solver_status.feasible": {"ky": "жол берилген (далилденген эмес)", "ru": "допустимое (не доказано)", "en": "feasible (not proven)"},
    "solver_status.infeasible": {"ky": "чечим жок", "ru": "нет решения", "en": "infeasible"},
    "solver_status.time_limit_no_solution": {
        "ky": "убакыт бүттү, чечим жок", "ru": "время истекло, решения нет", "en": "time limit, no solution",
    },
    "share.population": {"ky": "калк", "ru": "населения", "en": "population"},
    "share.units_population": {"ky": "бирдиктердин калкы", "ru": "населения единиц", "en": "units' population"},
    "share.settlements_population": {"ky": "конуштардын калкы", "ru": "населения пунктов", "en": "settlements' population"},
    "share.settlements_not_located": {"ky": "жайгашуусу белгисиз конуштар", "ru": "нелокализованных пунктов", "en": "settlements not located"},
    "share.new_units_with_estimates": {"ky": "баалоолуу жаңы бирдиктер", "ru": "новых единиц с оценками", "en": "new units with estimates"},
    "share.travel_times_modelled": {"ky": "моделдик жол убактысы", "ru": "модельного времени в пути", "en": "modelled travel times"},
    "share.admin_savings": {"ky": "башкаруудагы үнөм", "ru": "экономии на управлении", "en": "administrative savings"},
    "report.cost_model": {"ky": "чыгым моделинин божомолдору", "ru": "допущения модели затрат", "en": "cost model assumptions"},
    "summary.kicker": {
        "ky": "Координациялык кеңешке кыскача маалымат",
        "ru": "Краткая справка для Координационного совета",
        "en": "Summary for the Coordination Council",
    },
    "summary.map_merged": {"ky": "бириктирилген жаңы бирдик", "ru": "новая единица из нескольких", "en": "new unit from a merger"},
    "summary.map_kept": {"ky": "өзгөрүүсүз калган бирдик", "ru": "единица без изменений", "en": "unit kept as it is"},
    "summary.map_caption": {
        "ky": "Кызгылт сары: бир нече бирдиктен түзүлгөн жаңы бирдиктер; боз: өзгөрүүсүз калгандар; кызыл сызылган: калк босогосунан төмөн (бошотулбаган).",
        "ru": "Оранжевым: новые единицы из нескольких прежних; серым: единицы без изменений; красная штриховка: ниже порога населения (без исключения).",
        "en": "Orange: new units made of several units; grey: units kept as they are; hatched red: below the population floor (not exempt).",
    },
    "summary.decisions": {"ky": "Райондор боюнча чечимдер", "ru": "Решения по районам", "en": "Decisions by raion"},
    "summary.before": {"ky": "мурун", "ru": "было", "en": "before"},
    "summary.after": {"ky": "кийин", "ru": "стало", "en": "after"},
    "summary.mergers": {
        "ky": "бириктирүүлөр: борбор ← кошулгандар",
        "ru": "объединения: центр ← присоединяемые",
        "en": "mergers: centre ← units joining it",
    },
    "summary.people": {"ky": "{n} адам", "ru": "{n} чел.", "en": "{n} people"},
    "summary.no_mergers": {"ky": "Бир да бирдик бириктирилбейт.", "ru": "Ни одна единица не объединяется.", "en": "No unit is merged."},
    "summary.unchanged": {
        "ky": "Өзгөрүүсүз райондор: {names}.",
        "ru": "Районы без изменений: {names}.",
        "en": "Raions without change: {names}.",
    },
    "summary.full_report": {
        "ky": "Толук отчёттө (report.html) критерийлер баракчасы, ар бир жаңы бирдиктин паспорту жана маалыматтардын келип чыгышы бар.",
        "ru": "Полный отчёт (report.html) содержит лист критериев, паспорт каждой новой единицы и происхождение данных.",
        "en": "The full report (report.html) has the criteria sheet, the passport of every new unit and the provenance.",
    },
    "downloads.summary": {
        "ky": "Кеңеш үчүн кыскача маалымат (HTML, A4)",
        "ru": "Справка для Совета (HTML, A4)",
        "en": "Council summary (HTML, A4)",
    },
    "downloads.summary_help": {
        "ky": "Карта, негизги көрсөткүчтөр, райондор боюнча чечимдер жана баалоолор тууралуу эскертүүлөр; басып чыгарууга даяр.",
        "ru": "Карта, основные показатели, решения по районам и примечания об оценках; готово к печати.",
        "en": "The map, key figures, decisions by raion and notes on estimates; ready to print.",
    },
    "downloads.png": {"ky": "Карта (PNG)", "ru": "Карта (PNG)", "en": "Map image (PNG)"},
    "downloads.png_help": {
        "ky": "Учурдагы аймактын жыйынтык картасы (бүт аймак же тандалган район).",
        "ru": "Карта результата текущей территории (вся территория или выбранный район).",
        "en": "The result map of the current territory (the whole territory or the raion chosen).",
    },
    "downloads.zip_help": {
        "ky": "Жыйынтыктын бардык файлдары, толук отчёт жана кыскача маалымат менен.",
        "ru": "Все файлы результата, включая полный отчёт и справку.",
        "en": "Every file of the result, both reports included.",
    },
    "upload.button": {"ky": "Жүктөө", "ru": "Загрузить", "en": "Upload"},
    "upload.limit": {"ky": "YAML, 200 МБ чейин", "ru": "YAML, до 200 МБ", "en": "200MB per file • YAML, YML"},
    "report.median": {"ky": "медиана", "ru": "медиана", "en": "median"},
    "report.est_mark": {"ky": "баалоо", "ru": "оценка", "en": "est."},
}
STRINGS.update(_REPORT_STRINGS)


def rule_labels(rules: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """Exemption rule names (``"high_mountain;border"``) as readable text in ``lang``."""
    parts = [p for p in str(rules or "").split(";") if p]
    return ", ".join(t(f"rule.{p}", lang) if f"rule.{p}" in STRINGS else p for p in parts)
