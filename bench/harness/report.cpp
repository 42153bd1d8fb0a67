#include "bench/harness/report.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace Switchboard::Bench {

void Report::param(const QString &key, const QVariant &value)
{
    m_params.insert(key, QJsonValue::fromVariant(value));
}

void Report::section(const QString &title)
{
    m_rows.append(Row {Row::Section, {}, title, {}, {}});
}

void Report::value(const QString &key, const QString &label, double value, const QString &unit, int decimals)
{
    m_results.insert(key, value);
    m_rows.append(Row {Row::Value, key, label, QString::number(value, 'f', decimals), unit});
}

void Report::text(const QString &key, const QString &label, const QString &value)
{
    m_results.insert(key, value);
    m_rows.append(Row {Row::Text, key, label, value, {}});
}

void Report::check(const QString &label, bool pass, const QString &measured, const QString &target)
{
    Row row {Row::Check, {}, label, measured, target};
    row.pass = pass;
    m_rows.append(row);
}

void Report::note(const QString &line)
{
    m_rows.append(Row {Row::Note, {}, line, {}, {}});
}

bool Report::allChecksPassed() const
{
    for (const Row &row : m_rows) {
        if (row.kind == Row::Check && !row.pass)
            return false;
    }
    return true;
}

QString Report::toText() const
{
    qsizetype width = 0;
    for (const Row &row : m_rows) {
        if (row.kind == Row::Value || row.kind == Row::Text || row.kind == Row::Check)
            width = std::max(width, row.label.size());
    }
    QString out;
    for (const Row &row : m_rows) {
        switch (row.kind) {
        case Row::Section:
            out += u"\n== %1\n"_s.arg(row.label);
            break;
        case Row::Value:
            out += u"  %1  %2 %3\n"_s.arg(row.label.leftJustified(width), row.value.rightJustified(12), row.unit);
            break;
        case Row::Text:
            out += u"  %1  %2\n"_s.arg(row.label.leftJustified(width), row.value);
            break;
        case Row::Check:
            out += u"  %1  %2  %3 (target %4)\n"_s.arg(
                row.label.leftJustified(width), row.pass ? u"PASS"_s : u"MISS"_s, row.value, row.unit);
            break;
        case Row::Note:
            out += u"  note: %1\n"_s.arg(row.label);
            break;
        }
    }
    return out;
}

QJsonObject Report::toJson() const
{
    QJsonArray checks;
    for (const Row &row : m_rows) {
        if (row.kind == Row::Check)
            checks.append(QJsonObject {
                {u"check"_s, row.label}, {u"pass"_s, row.pass}, {u"measured"_s, row.value}, {u"target"_s, row.unit}});
    }
    return QJsonObject {{u"mode"_s, m_mode}, {u"finished_at"_s, QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
        {u"params"_s, m_params}, {u"results"_s, m_results}, {u"checks"_s, checks}};
}

bool Report::appendJson(const QString &path, QString *error) const
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append)) {
        *error = u"cannot write %1: %2"_s.arg(path, file.errorString());
        return false;
    }
    file.write(QJsonDocument(toJson()).toJson(QJsonDocument::Compact) + '\n');
    return true;
}

} // namespace Switchboard::Bench
