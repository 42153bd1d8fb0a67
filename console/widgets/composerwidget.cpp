#include "console/widgets/composerwidget.h"

#include <QKeyEvent>

using namespace Qt::StringLiterals;

namespace Switchboard::Console {

ComposerWidget::ComposerWidget(QWidget *parent) : QPlainTextEdit(parent)
{
    setObjectName(u"composer"_s);
    setPlaceholderText(tr("Type a message — Enter sends, Shift+Enter adds a line"));
    setTabChangesFocus(true);
    connect(this, &QPlainTextEdit::textChanged, this, &ComposerWidget::onTextChanged);
}

QSize ComposerWidget::sizeHint() const
{
    const QFontMetrics fm(font());
    return {QPlainTextEdit::sizeHint().width(), fm.lineSpacing() * 3 + 2 * frameWidth() + 8};
}

void ComposerWidget::submit()
{
    const QString text = toPlainText();
    if (text.trimmed().isEmpty())
        return;
    m_clearing = true;
    clear();
    m_clearing = false;
    m_lastTyping.invalidate();
    Q_EMIT sendRequested(text);
}

void ComposerWidget::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) {
        if (event->modifiers() & Qt::ShiftModifier) {
            insertPlainText(u"\n"_s);
        } else {
            submit();
        }
        event->accept();
        return;
    }
    QPlainTextEdit::keyPressEvent(event);
}

void ComposerWidget::onTextChanged()
{
    if (m_clearing || toPlainText().isEmpty())
        return;
    if (!m_lastTyping.isValid() || m_lastTyping.elapsed() >= m_typingIntervalMs) {
        m_lastTyping.start();
        Q_EMIT typingActivity();
    }
}

} // namespace Switchboard::Console
