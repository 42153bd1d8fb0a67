#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QVariant>

namespace Switchboard::Bench {

// What a run found: parameters, measured values (with units) and target checks, printed as an
// aligned text table and optionally appended as one JSON line to a file (for scripts computing
// medians over repeated runs).
class Report
{
public:
    void setMode(const QString &mode) { m_mode = mode; }
    void param(const QString &key, const QVariant &value);
    void section(const QString &title);
    // key: machine name (JSON); label: human text.
    void value(const QString &key, const QString &label, double value, const QString &unit, int decimals = 1);
    void text(const QString &key, const QString &label, const QString &value);
    // A target check; `measured` and `target` are shown as text.
    void check(const QString &label, bool pass, const QString &measured, const QString &target);
    void note(const QString &line);

    bool allChecksPassed() const;
    QString toText() const;
    QJsonObject toJson() const;
    bool appendJson(const QString &path, QString *error) const;

private:
    struct Row
    {
        enum Kind { Section, Value, Text, Check, Note } kind;
        QString key;
        QString label;
        QString value;
        QString unit;
        bool pass = true;
    };
    QString m_mode;
    QJsonObject m_params;
    QJsonObject m_results;
    QList<Row> m_rows;
};

} // namespace Switchboard::Bench
