"""Labels of the app and maps in Kyrgyz, Russian and English.

Every label is a key of :data:`STRINGS` with one text per language in :data:`LANGUAGES`;
:func:`t` looks one up and formats it. Unit and settlement names come from the data
(``name_ky``, ``name_ru``, ``name_en``) through :func:`display_name`, falling back to the
other languages and finally to the code, so a missing translation never hides a unit.
The Kyrgyz and Russian texts are working translations for the interface; the Concept's own
wording is quoted from :mod:`atr_model.criteria` with its attribution.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "LANGUAGES",
    "DEFAULT_LANGUAGE",
    "STRINGS",
    "t",
    "display_name",
    "name_columns",
    "format_number",
    "format_minutes",
    "status_label",
    "KPI_LABELS",
    "ESTIMATED_KPIS",
    "kpi_label",
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
    "kpi.exempt_units": {"ky": "Бошотулган бирдиктер", "ru": "Единиц-исключений", "en": "Exempt units"},
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
    return order.get(lang, ("name_en", "name_ru", "name_ky"))


def display_name(row: Mapping[str, Any], lang: str, *, code_column: str = "unit_code") -> str:
    """Name of a unit, settlement, raion or oblast in ``lang`` from its data row.

    Falls back to the other languages, then to the code in ``code_column``.
    """
    for column in name_columns(lang):
        value = row.get(column)
        if isinstance(value, str) and value.strip():
            return value.strip()
    code = row.get(code_column)
    return "" if code is None else str(code)


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
