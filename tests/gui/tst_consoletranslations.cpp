#include <QApplication>
#include <QCoreApplication>
#include <QFile>
#include <QLocale>
#include <QProcess>
#include <QPushButton>
#include <QTest>
#include <QXmlStreamReader>
#include <cstdio>

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
        QCOMPARE(QCoreApplication::translate(
                     "Switchboard::Console::MainWindow", "%n message(s) waiting to be sent", nullptr, 3),
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
        QCOMPARE(QCoreApplication::translate(
                     "Switchboard::Console::MainWindow", "%n message(s) waiting to be sent", nullptr, 1),
            u"1 message waiting to be sent"_s);
        LoginDialog dialog;
        QCOMPARE(dialog.loginButton()->text(), u"Sign in"_s);
    }

    void systemLocaleIsFollowed_data()
    {
        QTest::addColumn<QString>("locale");
        QTest::addColumn<QString>("expected");
        QTest::addRow("Chinese system") << u"zh_CN.UTF-8"_s << u"zh_CN"_s;
        QTest::addRow("English system") << u"en_US.UTF-8"_s << u"en"_s;
        QTest::addRow("no translation: English") << u"de_DE.UTF-8"_s << u"en"_s;
    }

    void systemLocaleIsFollowed()
    {
        QFETCH(QString, locale);
        QFETCH(QString, expected);
        // QLocale::system() is read once per process: ask a child process with that locale.
        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(u"LANGUAGE"_s);
        env.insert(u"LC_ALL"_s, locale);
        env.insert(u"LANG"_s, locale);
        env.insert(u"SB_CHILD_EXPECT_LANGUAGE"_s, expected);
        child.setProcessEnvironment(env);
        child.start(QCoreApplication::applicationFilePath(), {});
        QVERIFY(child.waitForFinished(30000));
        QVERIFY2(child.exitCode() == 0, child.readAllStandardOutput().constData());
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

// The child process of systemLocaleIsFollowed(): which language does a console started in this
// locale pick, and does the real dialog show it? Exit code 0 when as expected.
static int childUsesSystemLanguage()
{
    LanguageManager languages;
    const QString used = languages.apply(QString());
    LoginDialog dialog;
    const QString expectedButton = used == u"zh_CN"_s ? u"登录"_s : u"Sign in"_s;
    const bool ok
        = used == qEnvironmentVariable("SB_CHILD_EXPECT_LANGUAGE") && dialog.loginButton()->text() == expectedButton;
    if (!ok)
        std::printf("system locale %s: console chose %s, button '%s'\n", qPrintable(QLocale::system().name()),
            qPrintable(used), qPrintable(dialog.loginButton()->text()));
    return ok ? 0 : 1;
}

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    if (qEnvironmentVariableIsSet("SB_CHILD_EXPECT_LANGUAGE"))
        return childUsesSystemLanguage();
    TestConsoleTranslations test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}
#include "tst_consoletranslations.moc"
