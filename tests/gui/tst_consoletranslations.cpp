#include <QCoreApplication>
#include <QFile>
#include <QLocale>
#include <QPushButton>
#include <QTest>
#include <QXmlStreamReader>

#include "console/app/languagemanager.h"
#include "console/widgets/logindialog.h"

using namespace Qt::StringLiterals;
using namespace Switchboard::Console;

// The embedded translations: zh_CN loads from :/i18n and translates the UI, English is the
// fallback, and the committed zh_CN .ts file has no unfinished or empty entries.
class TestConsoleTranslations : public QObject
{
    Q_OBJECT

private slots:
    void chineseIsEmbeddedAndUsed()
    {
        LanguageManager languages;
        QCOMPARE(languages.apply(u"zh_CN"_s), u"zh_CN"_s);
        QCOMPARE(QCoreApplication::translate("Switchboard::Console::LoginDialog", "Sign in"), u"登录"_s);
        QCOMPARE(QCoreApplication::translate("Switchboard::Console::MainWindow", "Workspace"), u"工作台"_s);
        // Plurals.
        QCOMPARE(QCoreApplication::translate("Switchboard::Console::MainWindow", "%n message(s) waiting to be sent",
                                             nullptr, 3),
                 u"3 条消息等待发送"_s);
        // The real widget, built after the language was chosen.
        LoginDialog dialog;
        QCOMPARE(dialog.loginButton()->text(), u"登录"_s);
        QCOMPARE(QLocale().name(), u"zh_CN"_s);
    }

    void englishIsTheSource()
    {
        LanguageManager languages;
        QCOMPARE(languages.apply(u"en"_s), u"en"_s);
        QCOMPARE(QCoreApplication::translate("Switchboard::Console::LoginDialog", "Sign in"), u"Sign in"_s);
        QCOMPARE(QCoreApplication::translate("Switchboard::Console::MainWindow", "%n message(s) waiting to be sent",
                                             nullptr, 1),
                 u"1 message waiting to be sent"_s);
        LoginDialog dialog;
        QCOMPARE(dialog.loginButton()->text(), u"Sign in"_s);
    }

    void systemLocaleIsFollowed()
    {
        const QLocale saved = QLocale();
        LanguageManager languages;
        // No override: the system locale decides. (The test cannot change the system locale, so
        // it only checks that the call picks one of the embedded languages.)
        const QString used = languages.apply(QString());
        QVERIFY2(LanguageManager::availableLanguages().contains(used), qPrintable(used));
        QLocale::setDefault(saved);
    }

    void chineseTranslationIsComplete()
    {
        QFile file(QStringLiteral(SB_TRANSLATIONS_DIR "/switchboard_console_zh_CN.ts"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        QXmlStreamReader xml(&file);
        int messages = 0;
        QStringList missing;
        QString source;
        while (!xml.atEnd()) {
            xml.readNext();
            if (!xml.isStartElement())
                continue;
            if (xml.name() == u"source") {
                source = xml.readElementText();
                ++messages;
            } else if (xml.name() == u"translation") {
                const bool unfinished = xml.attributes().value(u"type"_s) == u"unfinished";
                const bool obsolete = xml.attributes().value(u"type"_s) == u"vanished"
                                      || xml.attributes().value(u"type"_s) == u"obsolete";
                const QString text = xml.readElementText(QXmlStreamReader::IncludeChildElements);
                if (!obsolete && (unfinished || text.trimmed().isEmpty()))
                    missing.append(source);
            }
        }
        QVERIFY(!xml.hasError());
        QVERIFY2(messages > 100, qPrintable(QString::number(messages)));
        QVERIFY2(missing.isEmpty(), qPrintable(u"untranslated: "_s + missing.join(u" | "_s)));
    }
};

QTEST_MAIN(TestConsoleTranslations)
#include "tst_consoletranslations.moc"
